// Passkey management and recovery in Chromium, as a person with a new device would do it, against
// the app served from the test process (its clock makes a sign-in "minutes old" without waiting).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, pageWithAuthenticator, type AuthenticatorPage, type BrowserSession } from "../helpers/chromium.ts";
import { grantAdmin } from "../helpers/admins.ts";
import { type ClockedServer, startClockedServer } from "../helpers/clocked-server.ts";
import { goInApp, pressSignIn, recordApiResponses, signUpInBrowser } from "../helpers/web-flows.ts";

let server: ClockedServer;
const browsers: BrowserSession[] = [];

async function device(): Promise<AuthenticatorPage> {
  const browser = await launchChromium();
  browsers.push(browser);
  return pageWithAuthenticator(browser.context);
}

beforeAll(async () => {
  server = await startClockedServer();
});
afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await server?.stop();
});

describe("managing passkeys on the account page", () => {
  // One person's story, in order: each step needs the one before it, so it is one test.
  it("adds a second passkey from a new device and names it, signs in with it, deletes the first, and keeps the last", async () => {
    const tab = await device();
    const passkeyNames = () => tab.page.locator("#passkeys .passkey-name").allTextContents();
    await signUpInBrowser(tab.page, server.origin, { username: "alice" });
    await tab.page.waitForSelector("#passkeys li");
    expect(await passkeyNames()).toEqual(["Device-bound passkey"]);
    await tab.replaceAuthenticator(); // the new laptop's authenticator, holding no passkey yet
    await tab.page.click("#add-passkey");
    await tab.page.waitForSelector("#passkeys li:nth-child(2)");
    tab.page.once("dialog", (dialog) => void dialog.accept("Laptop"));
    await tab.page.click("#passkeys li:nth-child(2) button[data-action='rename']");
    await tab.page.waitForFunction(() => document.querySelector("#passkeys li:nth-child(2) .passkey-name")?.textContent === "Laptop");
    expect(await passkeyNames()).toEqual(["Device-bound passkey", "Laptop"]);

    // Signs in with the new passkey.
    await tab.setPresence(false);
    await tab.page.click("#sign-out");
    await tab.page.waitForSelector("#sign-in");
    await pressSignIn(tab);
    await tab.page.waitForSelector("#sessions li");
    expect(await tab.page.textContent("#sessions")).toContain("with “Laptop”");

    // Deletes the first passkey.
    await tab.page.waitForSelector("#passkeys li:nth-child(2)");
    tab.page.once("dialog", (dialog) => void dialog.accept());
    await tab.page.click("#passkeys li:nth-child(1) button[data-action='remove']");
    await tab.page.waitForFunction(() => document.querySelectorAll("#passkeys li").length === 1);
    expect(await passkeyNames()).toEqual(["Laptop"]);
    expect(await tab.page.textContent(".status")).toContain("Removed");
    const alice = await server.store.users.findByUsername("alice");
    expect((await server.store.passkeys.listForUser(alice!.id)).map((passkey) => passkey.name)).toEqual(["Laptop"]);
    expect(await tab.page.textContent("#activity")).toContain("Passkey removed");

    // Refuses to delete the last one, and says why.
    tab.page.once("dialog", (dialog) => void dialog.accept());
    await tab.page.click("#passkeys li:nth-child(1) button[data-action='remove']");
    await tab.page.waitForFunction(() => document.querySelector(".status")?.textContent?.includes("only passkey"));
    expect(await passkeyNames()).toEqual(["Laptop"]);
  });
});

describe("recovering an account with a recovery code", () => {
  it("adds a passkey on a new device, signs in there, and signs the old device out", async () => {
    const old = await device();
    const codes = await signUpInBrowser(old.page, server.origin, { username: "bob" });
    await old.setPresence(false);

    const fresh = await device();
    await fresh.page.goto(`${server.origin}/signin`);
    await fresh.page.click("a[href='/recover']");
    await fresh.page.fill("#recover-username", "bob");
    await fresh.page.fill("#recover-code", codes[3]!);
    await fresh.page.click("#recover");
    await fresh.page.waitForSelector("#passkeys li:nth-child(2)");
    expect(await fresh.page.textContent("#profile-username")).toBe("bob");
    expect(await fresh.page.textContent("#recovery-remaining")).toContain("9 unused");

    await goInApp(old.page, "/account");
    await old.page.waitForSelector("#sign-in");
    expect(await old.page.textContent(".status")).toContain("Your session was ended");
  });

  it("refuses a used code with a clear message", async () => {
    const codes = await signUpInBrowser((await device()).page, server.origin, { username: "carol" });
    const stranger = await device();
    for (const expected of ["ok", "refused"]) {
      await stranger.page.goto(`${server.origin}/recover`);
      await stranger.page.fill("#recover-username", "carol");
      await stranger.page.fill("#recover-code", codes[0]!);
      await stranger.page.click("#recover");
      if (expected === "ok") {
        await stranger.page.waitForSelector("#profile-username");
        await stranger.setPresence(false);
        await stranger.page.click("#sign-out");
        await stranger.page.waitForSelector("#sign-in");
      } else {
        await stranger.page.waitForFunction(() => document.querySelector(".status")?.textContent?.includes("recovery code"));
      }
    }
  });
});

describe("step-up before a sensitive action", () => {
  it("asks for the passkey again when the sign-in is minutes old, then signs out everywhere, with no new session", async () => {
    const laptop = await device();
    // No passkey autofill in this browser: the virtual authenticator would answer the sign-in
    // page's autofill request at once and sign dave back in, hiding where the flow ended.
    await laptop.page.addInitScript("PublicKeyCredential.isConditionalMediationAvailable = async () => false");
    await signUpInBrowser(laptop.page, server.origin, { username: "dave" });
    server.clock.advance(301); // the sign-in is now over five minutes old (its token still valid)
    const steps = recordApiResponses(laptop.page);
    laptop.page.once("dialog", (dialog) => void dialog.accept());
    await laptop.page.click("#sign-out-everywhere");
    await laptop.page.waitForSelector("#sign-in");
    expect(steps.filter((step) => step.startsWith("/auth/"))).toEqual([
      "/auth/logout-all 403",
      "/auth/step-up/options 200",
      "/auth/step-up/verify 204",
      "/auth/logout-all 204",
    ]);
    const dave = (await server.store.users.findByUsername("dave"))!;
    const sessions = (await server.db.rows("sessions")).filter((row) => row.user_id === dave.id);
    expect(sessions.map((row) => row.revoked_at !== null)).toEqual([true]); // one session, no new one, ended
    const events = (await server.store.audit.list({ userId: dave.id, limit: 50 })).reverse().map((event) => event.type);
    expect(events.filter((type) => type === "step_up_verified" || type === "sessions_revoked_all")).toEqual(["step_up_verified", "sessions_revoked_all"]);
  });
});

describe("step-up in the admin console", () => {
  it("asks the admin for the passkey again before a role change when the sign-in is minutes old, then makes it", async () => {
    const member = await device();
    await signUpInBrowser(member.page, server.origin, { username: "erin" });
    const admin = await device();
    await signUpInBrowser(admin.page, server.origin, { username: "root" });
    await grantAdmin(server, "root"); // the operator makes root an admin; the console shows at the next load
    await admin.page.reload();
    await admin.page.click("#admin-link");
    await admin.page.waitForSelector("tr[data-username='erin']");
    server.clock.advance(301); // the admin's sign-in is now over five minutes old (its token still valid)
    const steps = recordApiResponses(admin.page);
    await admin.page.click("tr[data-username='erin'] button:has-text('Make admin')");
    await admin.page.waitForSelector("tr[data-username='erin'] button:has-text('Make user')");
    expect(steps.filter((step) => step.startsWith("/auth/") || step.startsWith("/api/admin/users/"))).toEqual([
      expect.stringMatching(/^\/api\/admin\/users\/.+ 403$/),
      "/auth/step-up/options 200",
      "/auth/step-up/verify 204",
      expect.stringMatching(/^\/api\/admin\/users\/.+ 200$/),
    ]);
    expect((await server.store.users.findByUsername("erin"))!.role).toBe("admin");
  });
});

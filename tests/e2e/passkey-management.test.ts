// Passkey management and recovery in Chromium, as a person with a new device would do it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, pageWithAuthenticator, type AuthenticatorPage, type BrowserSession } from "../helpers/chromium.ts";
import { startServer, type ServerProcess } from "../../tools/server-process.ts";
import { goInApp, pressSignIn, recordApiResponses, signUpInBrowser } from "../helpers/web-flows.ts";

let server: ServerProcess;
const browsers: BrowserSession[] = [];
let tab: AuthenticatorPage;

async function device(): Promise<AuthenticatorPage> {
  const browser = await launchChromium();
  browsers.push(browser);
  return pageWithAuthenticator(browser.context);
}

const passkeyNames = () => tab.page.locator("#passkeys .passkey-name").allTextContents();

beforeAll(async () => {
  server = await startServer();
  tab = await device();
});
afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await server?.stop();
});

describe("managing passkeys on the account page", () => {
  it("adds a second passkey from a new device and names it", async () => {
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
  });

  it("signs in with the new passkey", async () => {
    await tab.setPresence(false);
    await tab.page.click("#sign-out");
    await tab.page.waitForSelector("#sign-in");
    await pressSignIn(tab);
    await tab.page.waitForSelector("#sessions li");
    expect(await tab.page.textContent("#sessions")).toContain("with “Laptop”");
  });

  it("deletes the first passkey, which then no longer signs in", async () => {
    await tab.page.waitForSelector("#passkeys li:nth-child(2)");
    tab.page.once("dialog", (dialog) => void dialog.accept());
    await tab.page.click("#passkeys li:nth-child(1) button[data-action='remove']");
    await tab.page.waitForFunction(() => document.querySelectorAll("#passkeys li").length === 1);
    expect(await passkeyNames()).toEqual(["Laptop"]);
    expect(await tab.page.textContent(".status")).toContain("Removed");
    expect(server.query("SELECT name FROM passkeys")).toEqual([{ name: "Laptop" }]);
    expect(await tab.page.textContent("#activity")).toContain("Passkey removed");
  });

  it("refuses to delete the last passkey and says why", async () => {
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
    const ofDave = "user_id = (SELECT id FROM users WHERE username = 'dave')";
    server.execute(`UPDATE sessions SET verified_at = verified_at - 600000 WHERE ${ofDave}`); // signed in 10 minutes ago
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
    expect(server.query(`SELECT count(*) AS n, count(revoked_at) AS revoked FROM sessions WHERE ${ofDave}`)).toEqual([{ n: 1, revoked: 1 }]);
    expect(server.query(`SELECT type FROM audit_events WHERE ${ofDave} AND type IN ('step_up_verified', 'sessions_revoked_all') ORDER BY id`)).toEqual([
      { type: "step_up_verified" },
      { type: "sessions_revoked_all" },
    ]);
  });
});

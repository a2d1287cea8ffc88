// Session control across devices in Chromium: two browser profiles signed in as one person,
// and an admin blocking an account from the console.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAdminWithCli } from "../helpers/admins.ts";
import { copyPasskeys, launchChromium, pageWithAuthenticator, type AuthenticatorPage, type BrowserSession } from "../helpers/chromium.ts";
import { startServer, type ServerProcess } from "../../tools/server-process.ts";
import { accountLoaded, goInApp, pressSignIn, signUpInBrowser } from "../helpers/web-flows.ts";

let server: ServerProcess;
const browsers: BrowserSession[] = [];

async function device(): Promise<AuthenticatorPage> {
  const browser = await launchChromium();
  browsers.push(browser);
  const tab = await pageWithAuthenticator(browser.context);
  tab.page.on("dialog", (dialog) => void dialog.accept()); // "Sign out on every device?" → yes
  return tab;
}

/** The account page's next API request, without a reload. */
const nextRequest = (tab: AuthenticatorPage) => goInApp(tab.page, "/account");
const signUp = (tab: AuthenticatorPage, username: string) => signUpInBrowser(tab.page, server.origin, { username });

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await server?.stop();
});

/** A person signed up on their phone, and signed in on their laptop with the same (synced) passkey. */
async function onTwoDevices(username: string): Promise<{ phone: AuthenticatorPage; laptop: AuthenticatorPage }> {
  const phone = await device();
  const laptop = await device();
  await signUp(phone, username);
  await copyPasskeys(phone, laptop);
  await laptop.page.goto(`${server.origin}/signin`);
  await laptop.page.waitForSelector("#profile-username"); // autofill with the copied passkey
  return { phone, laptop };
}

describe("sessions across devices", () => {
  // One person's story, in order: each step needs the one before it, so it is one test.
  it("lists both devices' sessions, signs out everywhere from one, and shows why on the other's timeline after it signs back in", async () => {
    const { phone, laptop } = await onTwoDevices("alice");
    await phone.page.reload();
    await phone.page.waitForSelector("#sessions li:nth-child(2)");
    expect(await phone.page.locator("#sessions li").count()).toBe(2);
    expect(await phone.page.locator("#sessions .badge").count()).toBe(1);

    // Signing out everywhere on one device ends the other's session at its next request.
    await phone.setPresence(false); // the sign-in page's autofill must not sign straight back in
    await laptop.setPresence(false);
    await phone.page.click("#sign-out-everywhere");
    await phone.page.waitForSelector("#sign-in");
    await nextRequest(laptop);
    await laptop.page.waitForSelector("#sign-in");
    expect(await laptop.page.textContent(".status")).toContain("Your session was ended");
    const refresh = await laptop.page.evaluate(async () => (await fetch("/auth/refresh", { method: "POST" })).status);
    expect(refresh).toBe(401);

    // The timeline says why.
    await pressSignIn(laptop);
    await accountLoaded(laptop.page);
    expect(await laptop.page.textContent("#activity")).toContain("Signed out everywhere");
  });
});

describe("admin console", () => {
  it("blocks a user, whose open session is sent to sign-in with the reason at its next request", async () => {
    const { laptop } = await onTwoDevices("bob");
    const admin = await device();
    await signUp(admin, "root");
    await grantAdminWithCli(join(server.dataDir, "auth.db"), "root"); // as the operator would; the console shows at the next load
    await admin.page.reload();
    await admin.page.click("#admin-link");
    await admin.page.waitForSelector("tr[data-username='bob']");
    // The admin's own row offers no Block (the server would refuse it); bob's does.
    expect(await admin.page.locator("tr[data-username='root'] button[data-action='block']").count()).toBe(0);
    await admin.page.click("tr[data-username='bob'] button[data-action='block']");
    await admin.page.waitForSelector("tr[data-username='bob'] >> text=blocked");
    await laptop.setPresence(false);
    await nextRequest(laptop);
    await laptop.page.waitForSelector("#sign-in");
    expect(await laptop.page.textContent(".status")).toContain("blocked");
    expect(await admin.page.textContent("#admin-audit")).toContain("Account blocked");
  });
});

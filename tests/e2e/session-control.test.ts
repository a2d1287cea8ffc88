// Session control across devices in Chromium: two browser profiles signed in as one person,
// and an admin blocking an account from the console.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyPasskeys, launchChromium, pageWithAuthenticator, type AuthenticatorPage, type BrowserSession } from "../helpers/chromium.ts";
import { startServer, type ServerProcess } from "../../tools/server-process.ts";
import { accountLoaded, goInApp, pressSignIn, signUpInBrowser } from "../helpers/web-flows.ts";

let server: ServerProcess;
const browsers: BrowserSession[] = [];
let phone: AuthenticatorPage;
let laptop: AuthenticatorPage;

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
  server = await startServer({ ADMIN_USERNAMES: "root" });
  phone = await device();
  laptop = await device();
});

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await server?.stop();
});

describe("sessions across devices", () => {
  it("lists both devices' sessions, marking this device", async () => {
    await signUp(phone, "alice");
    await copyPasskeys(phone, laptop);
    await laptop.page.goto(`${server.origin}/signin`);
    await laptop.page.waitForSelector("#profile-username"); // autofill with the copied passkey
    await phone.page.reload();
    await phone.page.waitForSelector("#sessions li:nth-child(2)");
    expect(await phone.page.locator("#sessions li").count()).toBe(2);
    expect(await phone.page.locator("#sessions .badge").count()).toBe(1);
  });

  it("signing out everywhere on one device ends the other's session at its next request", async () => {
    await phone.setPresence(false); // the sign-in page's autofill must not sign straight back in
    await laptop.setPresence(false);
    await phone.page.click("#sign-out-everywhere");
    await phone.page.waitForSelector("#sign-in");
    await nextRequest(laptop);
    await laptop.page.waitForSelector("#sign-in");
    expect(await laptop.page.textContent(".status")).toContain("Your session was ended");
    const refresh = await laptop.page.evaluate(async () => (await fetch("/auth/refresh", { method: "POST" })).status);
    expect(refresh).toBe(401);
  });

  it("shows why on the timeline after signing back in", async () => {
    await pressSignIn(laptop);
    await accountLoaded(laptop.page);
    expect(await laptop.page.textContent("#activity")).toContain("Signed out everywhere");
  });
});

describe("admin console", () => {
  it("blocks a user, whose open session is sent to sign-in with the reason at its next request", async () => {
    const admin = await device();
    await signUp(admin, "root");
    await admin.page.click("#admin-link");
    await admin.page.waitForSelector("tr[data-username='alice']");
    // The admin's own row offers no Block (the server would refuse it); alice's does.
    expect(await admin.page.locator("tr[data-username='root'] button[data-action='block']").count()).toBe(0);
    await admin.page.click("tr[data-username='alice'] button[data-action='block']");
    await admin.page.waitForSelector("tr[data-username='alice'] >> text=blocked");
    await laptop.setPresence(false);
    await nextRequest(laptop);
    await laptop.page.waitForSelector("#sign-in");
    expect(await laptop.page.textContent(".status")).toContain("blocked");
    expect(await admin.page.textContent("#admin-audit")).toContain("Account blocked");
  });
});

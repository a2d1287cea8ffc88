// The spine in a real browser: Chromium with the DevTools virtual authenticator against the
// server started as `npm start` starts it; token expiry against the in-process server, whose clock
// moves with the page's. Each test has its own browser profile and account, and fails on any
// uncaught error in its pages.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../tools/server-process.ts";
import { type AuthenticatorPage, type BrowserSession, launchChromium, pageWithAuthenticator } from "../helpers/chromium.ts";
import { type ClockedServer, startClockedServer } from "../helpers/clocked-server.ts";
import { accountLoaded, goInApp, pressSignIn, recordApiResponses, signUpInBrowser } from "../helpers/web-flows.ts";

const ACCESS_TOKEN_TTL_SECONDS = 600;

let browser: BrowserSession;
let tab: AuthenticatorPage;
let requests: string[];
let pageErrors: string[];
let accounts = 0;
/** A username no other test of this file uses. */
const freshName = () => `person${++accounts}`;

beforeEach(async () => {
  browser = await launchChromium();
  tab = await pageWithAuthenticator(browser.context);
  pageErrors = [];
  tab.page.on("pageerror", (error) => pageErrors.push(error.message));
  requests = recordApiResponses(tab.page);
});

afterEach(async () => {
  await browser.close();
  expect(pageErrors).toEqual([]);
});

const profileName = () => tab.page.textContent("#profile-username");

describe("passkey sign-in in Chromium", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** Signs up in this test's tab and leaves the account page showing, its API calls answered. */
  async function signedUp(): Promise<string> {
    const username = freshName();
    await signUpInBrowser(tab.page, server.origin, { username });
    await accountLoaded(tab.page);
    return username;
  }

  it("signs up with a passkey, shows the recovery codes once, and lands on the account page", async () => {
    const codes = await signUpInBrowser(tab.page, server.origin, { username: "Alice", displayName: "Alice Example" });
    expect(codes).toHaveLength(10);
    expect(await profileName()).toBe("alice");
    expect(tab.page.url()).toBe(`${server.origin}/account`);
    expect(await tab.credentialCount()).toBe(1);
  });

  it("keeps the refresh token in an HttpOnly, Secure, SameSite=Strict __Host- cookie and the access token out of storage", async () => {
    await signedUp();
    const cookies = await browser.context.cookies(server.origin);
    const refresh = cookies.find((c) => c.name === "__Host-refresh")!;
    expect(refresh).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    // The only script-readable cookie is the session hint, which holds no secret.
    expect(cookies.filter((c) => !c.httpOnly).map((c) => [c.name, c.value])).toEqual([["__Host-session-hint", "1"]]);
    const stored = await tab.page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    expect(stored).not.toMatch(/eyJ/); // no JWT anywhere scripts can read
    expect(stored).not.toContain(refresh.value);
  });

  it("is still signed in after a reload (the app refreshes on load)", async () => {
    const username = await signedUp();
    requests.length = 0;
    await tab.page.reload();
    await tab.page.waitForSelector("#profile-username");
    expect(await profileName()).toBe(username);
    expect(requests[0]).toBe("/auth/refresh 200");
  });

  it("signs out: the session ends on the server and the sign-in page says so", async () => {
    await signedUp();
    await tab.setPresence(false); // the autofill request on the sign-in page then waits, as for a person
    await tab.page.click("#sign-out");
    await tab.page.waitForSelector("#sign-in");
    expect(await tab.page.textContent(".status")).toContain("signed out");
    expect(await browser.context.cookies(server.origin)).toEqual([]);
    const refresh = await tab.page.evaluate(async () => (await fetch("/auth/refresh", { method: "POST" })).status);
    expect(refresh).toBe(401);
  });

  it("signs in again with the passkey, no username typed", async () => {
    const username = await signedUp();
    await tab.setPresence(false);
    await tab.page.click("#sign-out");
    await tab.page.waitForSelector("#sign-in");
    requests.length = 0;
    await pressSignIn(tab);
    expect(await profileName()).toBe(username);
    expect(requests).toContain("/auth/login/verify 200");
  });

  it("signs in through browser autofill (conditional mediation) on the username field", async () => {
    const username = await signedUp();
    await tab.setPresence(false);
    requests.length = 0;
    await tab.page.click("#sign-out");
    await tab.page.waitForSelector("#sign-in");
    expect(await tab.page.getAttribute("#username", "autocomplete")).toBe("username webauthn");
    // The sign-in page arms an autofill request at once; it waits, as a person would, for a choice.
    await expect.poll(() => requests.includes("/auth/login/options 200")).toBe(true);
    requests.length = 0;
    // The virtual authenticator answers a new conditional request at once when presence is on.
    await tab.setPresence(true);
    await tab.page.reload();
    await tab.page.waitForSelector("#profile-username");
    expect(await profileName()).toBe(username);
    await expect.poll(() => requests.includes("/auth/login/verify 200")).toBe(true);
    // One options call (the autofill's own); the sign-in button was never pressed.
    expect(requests.filter((r) => r.startsWith("/auth/login/options"))).toEqual(["/auth/login/options 200"]);
  });

  it("ignores the sign-in button while an autofill choice is being verified: one sign-in, one session", async () => {
    await signedUp();
    await tab.setPresence(false);
    await tab.page.click("#sign-out");
    await tab.page.waitForSelector("#sign-in");
    // Hold the autofill's verify request in flight until the button has been pressed.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    await tab.page.route("**/auth/login/verify", async (route) => {
      if (!held) {
        held = true;
        await released;
      }
      await route.continue();
    });
    const verifyHeld = tab.page.waitForRequest((r) => new URL(r.url()).pathname === "/auth/login/verify");
    await tab.setPresence(true);
    requests.length = 0;
    await tab.page.reload(); // a new autofill request, which the authenticator answers at once
    await verifyHeld;
    await tab.page.evaluate(() => document.querySelector<HTMLButtonElement>("#sign-in")?.click());
    release();
    await accountLoaded(tab.page);
    expect(requests.filter((r) => r.startsWith("/auth/login/"))).toEqual(["/auth/login/options 200", "/auth/login/verify 200"]);
  });
});

describe("access token expiry in Chromium", () => {
  let server: ClockedServer;
  beforeAll(async () => {
    server = await startClockedServer({ ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refreshes an expiring access token before it expires, without the person noticing", async () => {
    await browser.context.clock.install();
    await signUpInBrowser(tab.page, server.origin, { username: freshName() });
    await accountLoaded(tab.page); // its own calls answered before the log starts
    requests.length = 0;
    for (let cycle = 0; cycle < 2; cycle++) {
      // Just past the proactive refresh point (60 s before expiry) on both clocks.
      const refreshed = tab.page.waitForResponse((r) => new URL(r.url()).pathname === "/auth/refresh");
      server.clock.advance(ACCESS_TOKEN_TTL_SECONDS - 59);
      await tab.page.clock.runFor((ACCESS_TOKEN_TTL_SECONDS - 59) * 1000);
      expect((await refreshed).status()).toBe(200);
    }
    await goInApp(tab.page, "/account");
    await accountLoaded(tab.page);
    expect(requests.filter((r) => r === "/auth/refresh 200")).toHaveLength(2);
    expect(requests.filter((r) => !r.endsWith(" 200"))).toEqual([]);
    expect(tab.page.url()).toBe(`${server.origin}/account`);
  });

  it("refreshes once and retries when the API says token_expired", async () => {
    // Timers and clock are fake from the first script on, so once paused the proactive refresh
    // cannot run, and the token expires on the server's clock while the page takes it for fresh.
    await tab.page.clock.install();
    const username = freshName();
    await signUpInBrowser(tab.page, server.origin, { username });
    await accountLoaded(tab.page); // its own calls answered before the log starts
    await tab.page.clock.pauseAt(Date.now() + 100);
    server.clock.advance(ACCESS_TOKEN_TTL_SECONDS + 1);
    requests.length = 0;
    // Re-render the account page, which calls GET /api/me through the API client.
    await goInApp(tab.page, "/account");
    await expect.poll(() => requests.slice(0, 3)).toEqual(["/api/me 401", "/auth/refresh 200", "/api/me 200"]);
    expect(await profileName()).toBe(username);
    await accountLoaded(tab.page); // the page's other API calls have finished
    // One refresh, one retry, no loop: every later call succeeds with the new token.
    expect(requests.filter((entry) => entry.startsWith("/auth/refresh"))).toEqual(["/auth/refresh 200"]);
    expect(requests.slice(1).every((entry) => entry.endsWith(" 200"))).toBe(true);
  });
});

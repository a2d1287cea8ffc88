// The web app's token client in Chromium: tabs sharing one session, single-flight refresh,
// cross-tab sign-out, revoked sessions, and where the tokens are (not) kept. Token lifetimes pass
// on controlled clocks (the server's test clock and Playwright's page.clock), never in real time.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthenticatorPage, type BrowserSession, copyPasskeys, launchChromium, pageWithAuthenticator } from "../helpers/chromium.ts";
import { type ClockedServer, startClockedServer } from "../helpers/clocked-server.ts";
import { accountLoaded, goInApp, recordApiResponses, signUpInBrowser } from "../helpers/web-flows.ts";

/** The default access token lifetime; the client refreshes 60 s before it ends. */
const ACCESS_TOKEN_TTL_SECONDS = 600;
/** Just past the proactive refresh point of a token (60 s before its end). */
const PAST_REFRESH_POINT_SECONDS = ACCESS_TOKEN_TTL_SECONDS - 60 + 1;

let server: ClockedServer;
const browsers: BrowserSession[] = [];

beforeAll(async () => {
  server = await startClockedServer({ ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) });
});
afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await server?.stop();
});

async function profile(): Promise<BrowserSession> {
  const browser = await launchChromium();
  browsers.push(browser);
  return browser;
}

const signUp = (tab: AuthenticatorPage, username: string) => signUpInBrowser(tab.page, server.origin, { username });

async function reuseDetections(): Promise<number> {
  return (await server.store.audit.list({ type: "refresh_token_reused", limit: 100 })).length;
}

async function liveSessionsOf(username: string): Promise<number> {
  const user = await server.store.users.findByUsername(username);
  return (await server.store.sessions.listLiveForUser(user!.id, server.clock.now().getTime())).length;
}

/** Moves both clocks by `seconds` and resolves with the first refresh answer that follows. */
async function passTime(browser: BrowserSession, page: Page, seconds: number): Promise<number> {
  const refreshed = browser.context.waitForEvent("response", { predicate: (r) => new URL(r.url()).pathname === "/auth/refresh" });
  server.clock.advance(seconds);
  await page.clock.runFor(seconds * 1000);
  return (await refreshed).status();
}

async function twoTabsKeepWorking(username: string, options: { withoutWebLocks: boolean }) {
  const browser = await profile();
  if (options.withoutWebLocks) {
    await browser.context.addInitScript(() => Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined }));
  }
  await browser.context.clock.install();
  const first = await pageWithAuthenticator(browser.context);
  await signUp(first, username);
  const second = await browser.context.newPage();
  await second.goto(`${server.origin}/account`);
  await second.waitForSelector("#profile-username");
  const logs = [recordApiResponses(first.page), recordApiResponses(second)];
  for (let cycle = 0; cycle < 3; cycle++) {
    expect(await passTime(browser, first.page, PAST_REFRESH_POINT_SECONDS)).toBe(200);
    // Both tabs can still call the API with a fresh token, and are still on the account page.
    for (const page of [first.page, second]) {
      await goInApp(page, "/account");
      await accountLoaded(page);
      expect(page.url()).toBe(`${server.origin}/account`);
    }
  }
  const all = logs.flat();
  expect(all.filter((r) => r.startsWith("/auth/refresh 200")).length).toBeGreaterThanOrEqual(3);
  expect(all.filter((r) => !r.endsWith(" 200"))).toEqual([]);
  return first.page;
}

describe("token client", () => {
  it("keeps two tabs of one profile signed in through several refresh cycles, without reuse detection", async () => {
    await twoTabsKeepWorking("tabs", { withoutWebLocks: false });
    expect(await reuseDetections()).toBe(0);
    expect(await liveSessionsOf("tabs")).toBe(1);
  });

  it("does the same without Web Locks, with the storage lease as the cross-tab lock", async () => {
    const page = await twoTabsKeepWorking("nolocks", { withoutWebLocks: true });
    expect(await reuseDetections()).toBe(0);
    expect(await liveSessionsOf("nolocks")).toBe(1);
    expect(await page.evaluate(() => typeof navigator.locks)).toBe("undefined");
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(stored).not.toMatch(/eyJ/);
  });

  it("refreshes before expiry when the server's clock runs an hour ahead of the browser's", async () => {
    server.clock.advance(3600);
    const browser = await profile();
    await browser.context.clock.install();
    const tab = await pageWithAuthenticator(browser.context);
    await signUp(tab, "skewed");
    const log = recordApiResponses(tab.page);
    expect(await passTime(browser, tab.page, PAST_REFRESH_POINT_SECONDS)).toBe(200);
    await goInApp(tab.page, "/account");
    await accountLoaded(tab.page);
    expect(log.filter((r) => !r.endsWith(" 200"))).toEqual([]);
  });

  it("makes exactly one refresh for ten API calls fired at once with an expired token", async () => {
    const browser = await profile();
    const tab = await pageWithAuthenticator(browser.context);
    const log = recordApiResponses(tab.page);
    await tab.page.clock.install(); // fake timers from the first script: no proactive refresh once paused
    await signUp(tab, "ten");
    await accountLoaded(tab.page); // the account page's own calls answered before the log is read
    await goInApp(tab.page, "/flow");
    await tab.page.waitForSelector("#call-ten");
    // The page's clock stops, so it still takes its token for fresh; the server's passes its expiry.
    await tab.page.clock.pauseAt(Date.now() + 100);
    server.clock.advance(ACCESS_TOKEN_TTL_SECONDS + 1);
    log.length = 0;
    await tab.page.click("#call-ten");
    await tab.page.waitForFunction(() => document.querySelector("#call-ten-result")?.textContent?.includes("of 10"));
    expect(await tab.page.textContent("#call-ten-result")).toBe("10 of 10 calls succeeded with 1 refresh.");
    expect(log.filter((r) => r.startsWith("/auth/refresh"))).toEqual(["/auth/refresh 200"]);
    expect(log.filter((r) => r === "/api/me 401")).toHaveLength(10);
    expect(log.filter((r) => r === "/api/me 200")).toHaveLength(10);
    expect(await tab.page.textContent("#token-history")).toContain("retried once with the new token");
  });

  it("stays signed in when its token's signing key is revoked: one refresh, then the call goes through", async () => {
    const browser = await profile();
    const tab = await pageWithAuthenticator(browser.context);
    await signUp(tab, "revoked-key");
    await accountLoaded(tab.page);
    // What `npm run keys:revoke` does to the current key: a new one signs, the old one is revoked.
    const leaked = server.keys.current.kid;
    await server.keys.rotate();
    await server.store.signingKeys.revoke(leaked, server.clock.now().getTime());
    const log = recordApiResponses(tab.page);
    await goInApp(tab.page, "/account");
    await accountLoaded(tab.page);
    // The account page's calls run at once: each is refused once, they share one refresh, each is retried.
    expect(log).toContain("/api/me 401");
    expect(log.filter((r) => r.startsWith("/auth/"))).toEqual(["/auth/refresh 200"]);
    expect(log.filter((r) => r.startsWith("/api/me "))).toEqual(["/api/me 401", "/api/me 200"]);
    expect(await tab.page.textContent("#profile-username")).toContain("revoked-key");
    expect(await liveSessionsOf("revoked-key")).toBe(1);
  });

  it("signs tab B out by message when tab A signs out, before B makes any request", async () => {
    const browser = await profile();
    const a = await pageWithAuthenticator(browser.context);
    await signUp(a, "twotabs");
    // B has an authenticator nobody touches: its sign-in page's autofill request then waits, as for a person.
    const { page: b, setPresence } = await pageWithAuthenticator(browser.context);
    await setPresence(false);
    await b.goto(`${server.origin}/account`);
    await b.waitForSelector("#profile-username");
    await accountLoaded(b); // B's own page load has finished its calls
    const bLog = recordApiResponses(b);
    await a.setPresence(false);
    await a.page.click("#sign-out");
    await b.waitForSelector("#sign-in");
    expect(await b.textContent(".status")).toContain("signed out in another tab");
    // B learned it from tab A, not from a failing call or a refresh of its own.
    expect(bLog.filter((r) => r.startsWith("/api/") || r.startsWith("/auth/refresh"))).toEqual([]);
  });

  it("sends a page whose session was revoked elsewhere to sign-in with the reason, without a loop", async () => {
    const phone = await pageWithAuthenticator((await profile()).context);
    await signUp(phone, "revoked");
    const laptop = await pageWithAuthenticator((await profile()).context);
    await copyPasskeys(phone, laptop);
    await laptop.page.goto(`${server.origin}/signin`);
    await laptop.page.waitForSelector("#profile-username");
    await laptop.setPresence(false);
    phone.page.on("dialog", (dialog) => void dialog.accept());
    await phone.setPresence(false);
    await phone.page.click("#sign-out-everywhere");
    await phone.page.waitForSelector("#sign-in");

    const log = recordApiResponses(laptop.page);
    await goInApp(laptop.page, "/account");
    await laptop.page.waitForSelector("#sign-in");
    expect(await laptop.page.textContent(".status")).toContain("Your session was ended");
    // The sign-in page arms its autofill request once it shows: a loop would have run before it.
    await expect.poll(() => log.includes("/auth/login/options 200")).toBe(true);
    expect(log.filter((r) => r.startsWith("/api/"))).toEqual(["/api/me 401"]);
    expect(log.filter((r) => r.startsWith("/auth/refresh"))).toEqual([]);
  });

  it("keeps the token out of every storage API and runs a fresh profile without console errors", async () => {
    const browser = await profile();
    const tab = await pageWithAuthenticator(browser.context);
    const consoleErrors: string[] = [];
    tab.page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") consoleErrors.push(message.text());
    });
    tab.page.on("pageerror", (error) => consoleErrors.push(error.message));
    let accessToken = "";
    tab.page.on("response", async (response) => {
      if (new URL(response.url()).pathname === "/auth/register/verify") accessToken = (await response.json()).accessToken;
    });
    await tab.page.goto(`${server.origin}/`);
    await tab.page.waitForSelector("#sign-in");
    await signUp(tab, "storage");
    await tab.page.reload();
    await accountLoaded(tab.page);
    expect(accessToken).toMatch(/^eyJ/);
    const readable = await tab.page.evaluate(async () => {
      const databases = await indexedDB.databases();
      const caches = typeof window.caches === "undefined" ? [] : await window.caches.keys();
      return JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, databases, caches });
    });
    expect(readable).not.toContain(accessToken);
    expect(readable).not.toContain(accessToken.split(".")[2]);
    expect(readable).not.toMatch(/eyJ/);
    const refreshCookie = (await browser.context.cookies(server.origin)).find((c) => c.name === "__Host-refresh")!;
    expect(readable).not.toContain(refreshCookie.value);
    await tab.setPresence(false);
    await tab.page.click("#sign-out");
    await tab.page.waitForSelector("#sign-in");
    await tab.page.reload();
    await tab.page.waitForSelector("#sign-in");
    expect(consoleErrors).toEqual([]);
  });
});

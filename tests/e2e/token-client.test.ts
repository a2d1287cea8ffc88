// The web app's token client in Chromium: tabs sharing one session, single-flight refresh,
// cross-tab sign-out, revoked sessions, and where the tokens are (not) kept.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyPasskeys, launchChromium, pageWithAuthenticator, type AuthenticatorPage, type BrowserSession } from "../helpers/chromium.ts";
import { startServer, type ServerProcess } from "../helpers/server-process.ts";
import { goInApp, recordApiResponses, signUpInBrowser, timeoutWithWait } from "../helpers/web-flows.ts";

const ACCESS_TOKEN_TTL_SECONDS = 3;
/** Long enough for three refresh cycles. */
const SEVERAL_CYCLES_MS = ACCESS_TOKEN_TTL_SECONDS * 3 * 1000 + 1000;
/** Long enough for a paused page's token to expire. */
const PAST_EXPIRY_MS = (ACCESS_TOKEN_TTL_SECONDS + 1) * 1000;

let server: ServerProcess;
const browsers: BrowserSession[] = [];

beforeAll(async () => {
  server = await startServer({ ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) });
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

const recordRequests = recordApiResponses;

const signUp = (tab: AuthenticatorPage, username: string) => signUpInBrowser(tab.page, server.origin, { username });

function serverCount(sql: string): number {
  return (server.query(sql)[0] as { n: number }).n;
}

async function twoTabsKeepWorking(username: string, options: { withoutWebLocks: boolean }) {
  const browser = await profile();
  if (options.withoutWebLocks) {
    await browser.context.addInitScript(() => Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined }));
  }
  const first = await pageWithAuthenticator(browser.context);
  await signUp(first, username);
  const second = await browser.context.newPage();
  await second.goto(`${server.origin}/account`);
  await second.waitForSelector("#profile-username");
  const logs = [recordRequests(first.page), recordRequests(second)];
  await first.page.waitForTimeout(SEVERAL_CYCLES_MS);
  // Both tabs can still call the API with a fresh token, and are still on the account page.
  for (const page of [first.page, second]) {
    await goInApp(page, "/account");
    await page.waitForSelector("#activity li");
    expect(page.url()).toBe(`${server.origin}/account`);
  }
  const all = logs.flat();
  expect(all.filter((r) => r.startsWith("/auth/refresh 200")).length).toBeGreaterThanOrEqual(3);
  expect(all.filter((r) => !r.endsWith(" 200"))).toEqual([]);
  return first.page;
}

describe("token client", () => {
  it(
    "keeps two tabs of one profile signed in through several refresh cycles, without reuse detection",
    async () => {
      await twoTabsKeepWorking("tabs", { withoutWebLocks: false });
      expect(serverCount("SELECT count(*) AS n FROM audit_events WHERE type = 'refresh_token_reused'")).toBe(0);
      expect(serverCount("SELECT count(*) AS n FROM sessions WHERE revoked_at IS NOT NULL")).toBe(0);
    },
    timeoutWithWait(SEVERAL_CYCLES_MS),
  );

  it(
    "does the same without Web Locks, with the storage lease as the cross-tab lock",
    async () => {
      const page = await twoTabsKeepWorking("nolocks", { withoutWebLocks: true });
      expect(serverCount("SELECT count(*) AS n FROM audit_events WHERE type = 'refresh_token_reused'")).toBe(0);
      expect(await page.evaluate(() => typeof navigator.locks)).toBe("undefined");
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
      expect(stored).not.toMatch(/eyJ/);
    },
    timeoutWithWait(SEVERAL_CYCLES_MS),
  );

  it(
    "makes exactly one refresh for ten API calls fired at once with an expired token",
    async () => {
      const browser = await profile();
      const tab = await pageWithAuthenticator(browser.context);
      const log = recordRequests(tab.page);
      await tab.page.clock.install(); // fake timers from the first script: no proactive refresh once paused
      await signUp(tab, "ten");
      await goInApp(tab.page, "/flow");
      await tab.page.waitForSelector("#call-ten");
      await tab.page.clock.pauseAt(Date.now() + 100);
      await tab.page.waitForTimeout(PAST_EXPIRY_MS);
      log.length = 0;
      await tab.page.click("#call-ten");
      await tab.page.waitForFunction(() => document.querySelector("#call-ten-result")?.textContent?.includes("of 10"));
      expect(await tab.page.textContent("#call-ten-result")).toBe("10 of 10 calls succeeded with 1 refresh.");
      expect(log.filter((r) => r.startsWith("/auth/refresh"))).toEqual(["/auth/refresh 200"]);
      expect(log.filter((r) => r === "/api/me 401")).toHaveLength(10);
      expect(log.filter((r) => r === "/api/me 200")).toHaveLength(10);
      expect(await tab.page.textContent("#token-history")).toContain("retried once with the new token");
    },
    timeoutWithWait(PAST_EXPIRY_MS),
  );

  it("signs tab B out within a second of signing out in tab A", async () => {
    const browser = await profile();
    const a = await pageWithAuthenticator(browser.context);
    await signUp(a, "twotabs");
    const b = await browser.context.newPage();
    await b.goto(`${server.origin}/account`);
    await b.waitForSelector("#profile-username");
    await a.setPresence(false);
    await a.page.click("#sign-out");
    const started = Date.now();
    await b.waitForSelector("#sign-in", { timeout: 1000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await b.textContent(".status")).toContain("signed out in another tab");
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

    const log = recordRequests(laptop.page);
    await goInApp(laptop.page, "/account");
    await laptop.page.waitForSelector("#sign-in");
    expect(await laptop.page.textContent(".status")).toContain("Your session was ended");
    await laptop.page.waitForTimeout(1500);
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
    await tab.page.waitForSelector("#activity li");
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

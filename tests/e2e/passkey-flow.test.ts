// The spine in a real browser: Chromium with the DevTools virtual authenticator against the
// server started as `npm start` starts it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, pageWithAuthenticator, type AuthenticatorPage, type BrowserSession } from "../helpers/chromium.ts";
import { startServer, type ServerProcess } from "../helpers/server-process.ts";
import { goInApp, pressSignIn, recordApiResponses, signUpInBrowser, timeoutWithWait } from "../helpers/web-flows.ts";

const ACCESS_TOKEN_TTL_SECONDS = 4;
/** Long enough for two proactive refreshes. */
const TWO_CYCLES_MS = (ACCESS_TOKEN_TTL_SECONDS * 2 + 1) * 1000;
/** Long enough for a paused page's token to expire. */
const PAST_EXPIRY_MS = (ACCESS_TOKEN_TTL_SECONDS + 1) * 1000;

let server: ServerProcess;
let browser: BrowserSession;
let tab: AuthenticatorPage;
let requests: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startServer({ ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) });
  browser = await launchChromium();
  tab = await pageWithAuthenticator(browser.context);
  tab.page.on("pageerror", (error) => pageErrors.push(error.message));
  requests = recordApiResponses(tab.page);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const profileName = () => tab.page.textContent("#profile-username");

describe("passkey sign-in in Chromium", () => {
  it("signs up with a passkey, shows the recovery codes once, and lands on the account page", async () => {
    const codes = await signUpInBrowser(tab.page, server.origin, { username: "Alice", displayName: "Alice Example" });
    expect(codes).toHaveLength(10);
    expect(await profileName()).toBe("alice");
    expect(tab.page.url()).toBe(`${server.origin}/account`);
    expect(await tab.credentialCount()).toBe(1);
  });

  it("keeps the refresh token in an HttpOnly, Secure, SameSite=Strict __Host- cookie and the access token out of storage", async () => {
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
    requests.length = 0;
    await tab.page.reload();
    await tab.page.waitForSelector("#profile-username");
    expect(await profileName()).toBe("alice");
    expect(requests[0]).toBe("/auth/refresh 200");
  });

  it(
    "refreshes an expiring access token without the person noticing",
    async () => {
      requests.length = 0;
      await tab.page.waitForTimeout(TWO_CYCLES_MS);
      // Proactive refreshes happened before each expiry; none failed.
      expect(requests.filter((r) => r === "/auth/refresh 200").length).toBeGreaterThanOrEqual(2);
      expect(requests.filter((r) => !r.endsWith(" 200"))).toEqual([]);
      expect(tab.page.url()).toBe(`${server.origin}/account`);
    },
    timeoutWithWait(TWO_CYCLES_MS),
  );

  it(
    "refreshes once and retries when the API says token_expired",
    async () => {
      // Its own profile: another tab of the same profile would share its fresh tokens over
      // BroadcastChannel. Timers and clock are fake from the first script on, so once paused the
      // proactive refresh cannot run and the access token expires while the page thinks it fresh.
      const solo = await launchChromium();
      try {
        const { page } = await pageWithAuthenticator(solo.context);
        const log = recordApiResponses(page);
        await page.clock.install();
        await signUpInBrowser(page, server.origin, { username: "bob" });
        await page.clock.pauseAt(Date.now() + 100);
        await page.waitForTimeout(PAST_EXPIRY_MS);
        log.length = 0;
        // Re-render the account page, which calls GET /api/me through the API client.
        await goInApp(page, "/account");
        await expect.poll(() => log.slice(0, 3), { timeout: 5000 }).toEqual(["/api/me 401", "/auth/refresh 200", "/api/me 200"]);
        expect(await page.textContent("#profile-username")).toBe("bob");
        await page.waitForSelector("#activity li"); // the page's other API calls have finished
        // One refresh, one retry, no loop: every later call succeeds with the new token.
        expect(log.filter((entry) => entry.startsWith("/auth/refresh"))).toEqual(["/auth/refresh 200"]);
        expect(log.slice(1).every((entry) => entry.endsWith(" 200"))).toBe(true);
      } finally {
        await solo.close();
      }
    },
    timeoutWithWait(PAST_EXPIRY_MS),
  );

  it("signs out: the session ends on the server and the sign-in page says so", async () => {
    await tab.page.reload();
    await tab.page.waitForSelector("#profile-username");
    await tab.setPresence(false); // the autofill request on the sign-in page then waits, as for a person
    await tab.page.click("#sign-out");
    await tab.page.waitForSelector("#sign-in");
    expect(await tab.page.textContent(".status")).toContain("signed out");
    expect(await browser.context.cookies(server.origin)).toEqual([]);
    const refresh = await tab.page.evaluate(async () => (await fetch("/auth/refresh", { method: "POST" })).status);
    expect(refresh).toBe(401);
  });

  it("signs in again with the passkey, no username typed", async () => {
    await pressSignIn(tab);
    expect(await profileName()).toBe("alice");
  });

  it("signs in through browser autofill (conditional mediation) on the username field", async () => {
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
    await expect.poll(() => requests.includes("/auth/login/verify 200")).toBe(true);
    // One options call (the autofill's own); the sign-in button was never pressed.
    expect(requests.filter((r) => r.startsWith("/auth/login/options"))).toEqual(["/auth/login/options 200"]);
  });

  it("raised no uncaught errors in the page", () => {
    expect(pageErrors).toEqual([]);
  });
});

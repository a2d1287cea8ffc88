import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashRefreshToken } from "../../server/auth/sessions.ts";
import { ROUTES } from "../../shared/routes.ts";
import { createTestApp, json, type TestApp, type TestBrowser } from "../helpers/harness.ts";

let t: TestApp;
let alice: TestBrowser;
let aliceAccessToken: string;
beforeEach(async () => {
  t = await createTestApp();
  alice = t.browser();
  aliceAccessToken = (await alice.signUp("alice")).accessToken;
});
afterEach(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

/** Rows of `table` that `where` keeps. */
const count = async (table: string, where: (row: Record<string, unknown>) => boolean = () => true) => (await t.db.rows(table)).filter(where).length;
const liveTokens = () => count("refresh_tokens", (row) => row.used_at === null);
const sessionRow = async () => ((await t.db.rows("sessions")) as { revoked_at: number | null; revoked_reason: string | null }[])[0]!;

describe("POST /auth/refresh", () => {
  it("rotates the refresh token: a new cookie, a new access token, one live token in the session", async () => {
    const first = alice.refreshCookie!;
    const response = await alice.refresh();
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ tokenType: "Bearer", expiresIn: 600, user: { username: "alice" } });
    expect(alice.refreshCookie).toBeDefined();
    expect(alice.refreshCookie).not.toBe(first);
    expect(await liveTokens()).toBe(1);
    expect(await count("refresh_tokens", (row) => row.token_hash === hashRefreshToken(first) && row.used_at !== null)).toBe(1);
  });

  it("stores only a hash of the refresh token", async () => {
    const token = alice.refreshCookie!;
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    const dump = JSON.stringify(await t.db.rows("refresh_tokens"));
    expect(dump).not.toContain(token);
    expect(dump).toContain(hashRefreshToken(token));
  });

  it("stores successors, like every refresh token, only as a hash: nothing a database copy could present", async () => {
    await alice.refresh();
    const successor = alice.refreshCookie!;
    const dump = JSON.stringify(await t.db.rows("refresh_tokens"));
    expect(dump).not.toContain(successor);
    expect(dump).toContain(hashRefreshToken(successor));
  });

  it("revokes the session when a rotated token is reused", async () => {
    const stolen = alice.refreshCookie!;
    await alice.refresh();
    t.clock.advance(60); // past the grace period
    const attacker = t.browser();
    attacker.refreshCookie = stolen;
    const reuse = await attacker.refresh();
    expect(reuse.status).toBe(401);
    expect((await json(reuse)).error.code).toBe("refresh_token_reused");
    expect((await sessionRow()).revoked_reason).toBe("refresh_token_reused");
    expect(await count("audit_events", (row) => row.type === "refresh_token_reused")).toBe(1);
    // The legitimate holder's newer token is dead too: the whole session ended.
    const legit = await alice.refresh();
    expect(legit.status).toBe(401);
    expect((await json(legit)).error.code).toBe("session_revoked");
  });

  it("answers refreshes made at once each in its own session: a reused token among them ends its own session only", async () => {
    // On PostgreSQL the token lookups of one event-loop turn go as one statement, and so do the rotations.
    const bob = t.browser();
    const carol = t.browser();
    await bob.signUp("bob");
    await carol.signUp("carol");
    const stolen = alice.refreshCookie!;
    await alice.refresh();
    t.clock.advance(60); // past the grace period
    const attacker = t.browser();
    attacker.refreshCookie = stolen;
    const answers = await Promise.all([bob.refresh(), attacker.refresh(), carol.refresh()]);
    expect(answers.map((response) => response.status)).toEqual([200, 401, 200]);
    expect((await json(answers[1]!)).error.code).toBe("refresh_token_reused");
    expect((await json(answers[0]!)).user.username).toBe("bob");
    expect((await json(answers[2]!)).user.username).toBe("carol");
    const revoked = (await t.db.rows("sessions")).filter((row) => row.revoked_at !== null);
    expect(revoked.map((row) => row.revoked_reason)).toEqual(["refresh_token_reused"]);
    expect((await alice.refresh()).status).toBe(401);
    expect((await bob.refresh()).status).toBe(200);
    expect((await carol.refresh()).status).toBe(200);
  });

  it("answers a lost-response retry within the grace period without revoking, leaving one live token", async () => {
    const previous = alice.refreshCookie!;
    const first = await alice.refresh(); // the response is "lost": the browser keeps the old cookie
    expect(first.status).toBe(200);
    alice.refreshCookie = previous;
    t.clock.advance(3);
    const successor = first.headers.getSetCookie().join();
    const retry = await alice.refresh();
    expect(retry.status).toBe(200);
    expect(successor).toContain(`__Host-refresh=${alice.refreshCookie};`); // the same successor again
    expect((await sessionRow()).revoked_at).toBeNull();
    expect(await liveTokens()).toBe(1);
    // The retry's token is the live one and keeps working.
    expect((await alice.refresh()).status).toBe(200);
  });

  it("treats a retry after the grace period as reuse", async () => {
    const previous = alice.refreshCookie!;
    await alice.refresh();
    alice.refreshCookie = previous;
    t.clock.advance(11);
    expect((await json(await alice.refresh())).error.code).toBe("refresh_token_reused");
  });

  it("treats a retry as reuse once the successor has been used", async () => {
    const previous = alice.refreshCookie!;
    await alice.refresh();
    await alice.refresh(); // successor used
    alice.refreshCookie = previous;
    expect((await json(await alice.refresh())).error.code).toBe("refresh_token_reused");
  });

  it("gives a client racing itself the same successor in both answers, so whichever cookie lands last keeps the session (finding 15)", async () => {
    const presented = alice.refreshCookie!;
    const racers = [t.browser(), t.browser()];
    for (const racer of racers) racer.refreshCookie = presented;
    const answers = await Promise.all(racers.map((racer) => racer.refresh()));
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(racers[0]!.refreshCookie).toBe(racers[1]!.refreshCookie);
    // The cookie that landed last (either one) refreshes, a while later, without a reuse alarm.
    t.clock.advance(60);
    const later = await racers[1]!.refresh();
    expect(later.status).toBe(200);
    expect(await count("audit_events", (row) => row.type === "refresh_token_reused")).toBe(0);
    expect(await count("audit_events", (row) => row.type === "token_refreshed" && String(row.detail).includes("retryOf"))).toBe(1);
  });

  it("leaves exactly one live token after ten parallel refreshes of one token", async () => {
    const token = alice.refreshCookie!;
    const browsers = Array.from({ length: 10 }, () => {
      const b = t.browser();
      b.refreshCookie = token;
      return b;
    });
    const responses = await Promise.all(browsers.map((b) => b.refresh()));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(browsers.map((b) => b.refreshCookie)).size).toBe(1);
    expect(await liveTokens()).toBe(1);
    expect((await sessionRow()).revoked_at).toBeNull();
  });

  it("refuses a missing cookie with 401 refresh_token_missing", async () => {
    const response = await t.browser().refresh();
    expect(response.status).toBe(401);
    expect((await json(response)).error.code).toBe("refresh_token_missing");
  });

  it("refuses an unknown token with 401 refresh_token_invalid and clears the cookie", async () => {
    const browser = t.browser();
    browser.refreshCookie = "forged-token";
    const response = await browser.refresh();
    expect(response.status).toBe(401);
    expect((await json(response)).error.code).toBe("refresh_token_invalid");
    expect(response.headers.getSetCookie().join()).toMatch(/__Host-refresh=;.*Max-Age=0/);
  });

  it("ends an idle session after REFRESH_TOKEN_TTL", async () => {
    const idle = await createTestApp({ REFRESH_TOKEN_TTL: "3600" });
    const browser = idle.browser();
    await browser.signUp("bob");
    idle.clock.advance(3000);
    expect((await browser.refresh()).status).toBe(200); // the idle window slides
    idle.clock.advance(3000);
    expect((await browser.refresh()).status).toBe(200);
    idle.clock.advance(3601);
    expect((await json(await browser.refresh())).error.code).toBe("session_expired");
    await idle.close();
  });

  it("ends a session at SESSION_MAX_AGE however active it is", async () => {
    const capped = await createTestApp({ REFRESH_TOKEN_TTL: "3600", SESSION_MAX_AGE: "7200" });
    const browser = capped.browser();
    await browser.signUp("bob");
    for (let i = 0; i < 3; i++) {
      capped.clock.advance(1800);
      expect((await browser.refresh()).status).toBe(200);
    }
    capped.clock.advance(1801);
    expect((await json(await browser.refresh())).error.code).toBe("session_expired");
    await capped.close();
  });

  it("caps the cookie's Max-Age at the session's absolute expiry", async () => {
    const capped = await createTestApp({ REFRESH_TOKEN_TTL: "3600", SESSION_MAX_AGE: "4000" });
    const browser = capped.browser();
    await browser.signUp("bob");
    capped.clock.advance(1000);
    const response = await browser.refresh();
    expect(response.headers.getSetCookie().join()).toMatch(/Max-Age=3000/);
    await capped.close();
  });

  it("refuses a refresh for a blocked account and ends its session", async () => {
    await t.db.execute("UPDATE users SET blocked_at = 1");
    const response = await alice.refresh();
    expect(response.status).toBe(403);
    expect((await json(response)).error.code).toBe("account_blocked");
    expect((await sessionRow()).revoked_reason).toBe("account_blocked");
  });

  it.each([
    ["a cross-site Origin", { origin: "https://evil.example" }],
    ["Sec-Fetch-Site cross-site", { "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site same-site", { "sec-fetch-site": "same-site" }],
  ])("refuses a cross-site refresh (%s) with 403 csrf_rejected and does not rotate", async (_name, headers) => {
    const before = alice.refreshCookie;
    const response = await alice.post(ROUTES.refresh, { headers });
    expect(response.status).toBe(403);
    expect((await json(response)).error.code).toBe("csrf_rejected");
    expect(alice.refreshCookie).toBe(before);
    expect(await count("refresh_tokens", (row) => row.used_at !== null)).toBe(0);
  });
});

describe("POST /auth/logout", () => {
  it("revokes this session, clears the cookie and answers 204", async () => {
    const token = alice.refreshCookie!;
    const response = await alice.post(ROUTES.logout);
    expect(response.status).toBe(204);
    expect(alice.refreshCookie).toBeUndefined();
    expect((await sessionRow()).revoked_reason).toBe("logout");
    const replay = t.browser();
    replay.refreshCookie = token;
    expect((await json(await replay.refresh())).error.code).toBe("session_revoked");
  });

  it("answers 204 without a cookie", async () => {
    expect((await t.browser().post(ROUTES.logout)).status).toBe(204);
  });

  it("refuses a cross-site logout with 403 csrf_rejected", async () => {
    const response = await alice.post(ROUTES.logout, { headers: { origin: "https://evil.example" } });
    expect(response.status).toBe(403);
    expect((await sessionRow()).revoked_at).toBeNull();
  });
});

describe("POST /auth/logout-all", () => {
  it("revokes every session of the user and only theirs", async () => {
    const laptop = t.browser();
    alice.sharePasskeysWith(laptop);
    await laptop.signIn();
    const bob = t.browser();
    await bob.signUp("bob");
    const response = await alice.post(ROUTES.logoutAll, { bearer: aliceAccessToken });
    expect(response.status).toBe(204);
    expect((await json(await laptop.refresh())).error.code).toBe("session_revoked");
    expect((await bob.refresh()).status).toBe(200);
    expect(await count("sessions", (row) => row.revoked_reason === "logout_all")).toBe(2);
  });

  it("requires a bearer token", async () => {
    const response = await alice.post(ROUTES.logoutAll);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    expect((await sessionRow()).revoked_at).toBeNull();
  });
});

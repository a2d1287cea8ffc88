// Hardened edges: per-IP and per-account rate limits (X-Forwarded-For only through configured
// proxies), a bounded challenge table under a flood, and signing-key rotation.
import { decodeProtectedHeader } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { createChallenge, MAX_PENDING_CHALLENGES } from "../../server/auth/challenges.ts";
import { loadServerKeys, RELOAD_THROTTLE_MS } from "../../server/auth/signing-keys.ts";
import { ROUTES } from "../../shared/routes.ts";
import { createTestApp, json, TEST_KEY_ENCRYPTION_SECRET, type TestApp } from "../helpers/harness.ts";

let t: TestApp;
afterEach(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const from = (ip: string) => ({ headers: { "x-forwarded-for": ip } });

describe("rate limits", () => {
  it("limits attempts on one account across many client IPs, for known and unknown names alike", async () => {
    t = await createTestApp({ RATE_LIMIT_PER_ACCOUNT_PER_MINUTE: "3", TRUST_PROXY_HOPS: "1" });
    const browser = t.browser();
    await browser.signUp("alice");
    for (const username of ["alice", "nobody"]) {
      for (let i = 0; i < 2; i++) expect((await browser.post(ROUTES.loginOptions, { body: { username }, ...from(`198.51.100.${i}`) })).status).toBe(200);
      // signUp used one of alice's three; nobody has one left.
      const third = await browser.post(ROUTES.loginOptions, { body: { username }, ...from("198.51.100.9") });
      expect(third.status).toBe(username === "alice" ? 429 : 200);
    }
    const limited = await browser.post(ROUTES.loginOptions, { body: { username: "nobody" }, ...from("203.0.113.7") });
    expect(limited.status).toBe(429);
    expect((await json(limited)).error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Which limit refused, by draft-ietf-httpapi-ratelimit-headers: the account's, not the IP's.
    expect(limited.headers.get("ratelimit-policy")).toBe('"account";q=3;w=60');
    expect(limited.headers.get("ratelimit")).toBe(`"account";r=0;t=${limited.headers.get("retry-after")}`);
    // A usernameless sign-in names no account, so it cannot be locked out this way.
    expect((await browser.post(ROUTES.loginOptions, { body: {}, ...from("198.51.100.1") })).status).toBe(200);
    t.clock.advance(60);
    expect((await browser.post(ROUTES.loginOptions, { body: { username: "alice" } })).status).toBe(200);
  });

  it("limits recovery-code guesses per account, whatever IP they come from", async () => {
    t = await createTestApp({ RATE_LIMIT_PER_ACCOUNT_PER_MINUTE: "2", TRUST_PROXY_HOPS: "1" });
    const browser = t.browser();
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const response = await browser.post(ROUTES.recover, { body: { username: "alice", code: "AAAA-BBBB-CCCC" }, ...from(`192.0.2.${i}`) });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  it("keeps recovery's own per-account limit: naming a person in sign-in attempts does not block their recovery", async () => {
    t = await createTestApp({ RATE_LIMIT_PER_ACCOUNT_PER_MINUTE: "3", TRUST_PROXY_HOPS: "1" });
    const browser = t.browser();
    for (let i = 0; i < 4; i++) await browser.post(ROUTES.loginOptions, { body: { username: "alice" }, ...from(`198.51.100.${i}`) });
    expect((await browser.post(ROUTES.loginOptions, { body: { username: "alice" }, ...from("198.51.100.9") })).status).toBe(429);
    const recovery = await browser.post(ROUTES.recover, { body: { username: "alice", code: "AAAA-BBBB-CCCC" }, ...from("192.0.2.1") });
    expect(recovery.status).toBe(401); // refused for its code, not rate-limited
  });

  it("counts an IPv6 client by its /64: fresh addresses in one /64 share a window, another /64 has its own", async () => {
    t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "2", TRUST_PROXY_HOPS: "1" });
    const browser = t.browser();
    const statuses = [];
    for (const address of ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:0db8:0001:0002:abcd::1"]) {
      statuses.push((await browser.post(ROUTES.loginOptions, { body: {}, ...from(address) })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect((await browser.post(ROUTES.loginOptions, { body: {}, ...from("2001:db8:1:3::1") })).status).toBe(200);
  });

  it("ignores X-Forwarded-For unless TRUST_PROXY_HOPS is set: a client cannot pick its own IP", async () => {
    t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "2" });
    const browser = t.browser();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await browser.post(ROUTES.loginOptions, { body: {}, ...from(`10.0.0.${i}`) })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("with TRUST_PROXY_HOPS=1, counts the address our proxy saw, not entries the client prepended", async () => {
    t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "2", TRUST_PROXY_HOPS: "1" });
    const browser = t.browser();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await browser.post(ROUTES.loginOptions, { body: {}, ...from(`10.0.0.${i}, 203.0.113.5`) })).status);
    expect(statuses).toEqual([200, 200, 429]);
    // Another client behind the same proxy has its own window, and its IP is what sessions record.
    const other = await browser.post(ROUTES.loginOptions, { body: {}, ...from("203.0.113.6") });
    expect(other.status).toBe(200);
    await browser.signUp("alice");
    expect((await t.store.audit.list({ type: "user_registered", limit: 1 }))[0]!.ip).toBeNull();
    const signIn = await json(await browser.post(ROUTES.loginOptions, { body: {}, ...from("203.0.113.8") }));
    await browser.post(ROUTES.loginVerify, { body: await browser.authenticator.authenticate(signIn), ...from("203.0.113.8") });
    expect((await t.store.audit.list({ type: "signed_in", limit: 1 }))[0]!.ip).toBe("203.0.113.8");
    const user = await t.store.users.findByUsername("alice");
    expect((await t.store.sessions.listLiveForUser(user!.id, t.clock.now().getTime()))[0]!.ip).toBe("203.0.113.8");
  });
});

describe("challenge table under a flood of options calls", () => {
  // SQLite's file size is what this measures; the bound itself is a Store guarantee that
  // store-contract.test.ts checks on every engine.
  it.skipIf(process.env.TEST_DATABASE === "postgres")("stays at MAX_PENDING_CHALLENGES rows through 50,000 options calls, newest kept", async () => {
    t = await createTestApp();
    const pageCount = async () => ((await t.db.rows("pragma_page_count"))[0] as { page_count: number }).page_count;
    let last = "";
    for (let i = 0; i < 50_000; i++) last = await createChallenge(t, "authentication");
    expect(await t.store.challenges.count()).toBe(MAX_PENDING_CHALLENGES);
    const pagesAtCap = await pageCount();
    for (let i = 0; i < 10_000; i++) await createChallenge(t, "authentication");
    expect(await t.store.challenges.count()).toBe(MAX_PENDING_CHALLENGES);
    expect(await pageCount()).toBeLessThanOrEqual(pagesAtCap * 1.1); // freed pages are reused: no growth past the cap
    // The flood pushed out the oldest: the newest still verify (`last` was pushed out by the 10k after it).
    expect((await t.db.rows("challenges")).filter((row) => row.challenge === last)).toEqual([]);
    const newest = await createChallenge(t, "authentication");
    expect((await t.store.challenges.consume(newest))?.challenge).toBe(newest);
  });

  it("still purges expired challenges first", async () => {
    t = await createTestApp();
    for (let i = 0; i < 5; i++) await createChallenge(t, "authentication");
    t.clock.advance(301);
    await createChallenge(t, "authentication");
    expect(await t.store.challenges.count()).toBe(1);
  });
});

describe("signing-key rotation", () => {
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  const jwksKids = async () => (await json(await t.browser().get(ROUTES.jwks))).keys.map((key: { kid: string }) => key.kid);

  it("signs with the new key at once, keeps the retired one in the JWKS until its last token expires", async () => {
    t = await createTestApp({ ACCESS_TOKEN_TTL: "600" });
    const alice = t.browser();
    const before = (await alice.signUp("alice")).accessToken;
    const oldKid = kidOf(before);
    const newKid = await t.keys.rotate();
    expect(newKid).not.toBe(oldKid);
    expect(await jwksKids()).toEqual([newKid, oldKid]);

    const after = await json(await alice.refresh());
    expect(kidOf(after.accessToken)).toBe(newKid);
    t.clock.advance(599);
    await t.keys.refresh();
    expect((await alice.get(ROUTES.me, { bearer: before })).status).toBe(200); // still within its own exp
    t.clock.advance(2);
    await t.keys.refresh();
    expect(await jwksKids()).toEqual([newKid]);
    expect(await t.db.rows("signing_keys")).toHaveLength(2);
  });

  it("rotates by itself once the key is older than SIGNING_KEY_ROTATION_INTERVAL", async () => {
    t = await createTestApp({ SIGNING_KEY_ROTATION_INTERVAL: "86400" });
    const first = t.keys.current.kid;
    t.clock.advance(86_399);
    await t.keys.refresh();
    expect(t.keys.current.kid).toBe(first);
    t.clock.advance(1);
    await t.keys.refresh();
    expect(t.keys.current.kid).not.toBe(first);
    expect(await jwksKids()).toEqual([t.keys.current.kid, first]);
  });

  it("accepts a token from another instance's new key at once, and re-reads storage at most once per throttle window", async () => {
    t = await createTestApp();
    const alice = t.browser();
    await alice.signUp("alice");
    // A second instance over the same database rotates and signs with its new key.
    const other = await loadServerKeys({
      store: t.store,
      clock: t.clock,
      keyEncryptionSecret: TEST_KEY_ENCRYPTION_SECRET,
      accessTokenTtlSeconds: t.config.accessTokenTtlSeconds,
      rotationIntervalSeconds: 0,
    });
    t.clock.advance(RELOAD_THROTTLE_MS / 1000);
    await other.rotate();
    const reads = countListCalls();
    const tokenFromOther = (await json(await alice.refresh())).accessToken as string; // still signed here with the old key
    expect(kidOf(tokenFromOther)).not.toBe(other.current.kid);
    // A token signed by the other instance: its kid is unknown here until storage is re-read.
    const foreign = await signWith(other, tokenFromOther);
    expect((await alice.get(ROUTES.me, { bearer: foreign })).status).toBe(200);
    expect(reads()).toBe(1);
    // Made-up kids inside the throttle window cause no further reads.
    for (let i = 0; i < 5; i++) {
      const bogus = foreign.replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg: "ES256", typ: "at+jwt", kid: `made-up-${i}` })).toString("base64url"));
      expect((await alice.get(ROUTES.me, { bearer: bogus })).status).toBe(401);
    }
    expect(reads()).toBe(1);
  });

  function countListCalls() {
    let calls = 0;
    const list = t.store.signingKeys.list;
    t.store.signingKeys.list = async () => {
      calls += 1;
      return list();
    };
    return () => calls;
  }
});

/** Re-signs `token`'s claims with `keys`' current key: what another instance would issue. */
async function signWith(keys: Awaited<ReturnType<typeof loadServerKeys>>, token: string): Promise<string> {
  const { SignJWT, decodeJwt } = await import("jose");
  return new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: keys.current.kid }).sign(keys.current.privateKey);
}

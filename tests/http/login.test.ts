import { generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROUTES } from "../../shared/routes.ts";
import { createTestApp, json, sampleMetric, tableCounts, type TestApp, type TestBrowser } from "../helpers/harness.ts";

let t: TestApp;
let alice: TestBrowser;
let aliceId: string;
beforeEach(async () => {
  t = await createTestApp();
  alice = t.browser();
  aliceId = (await alice.signUp("alice")).user.id;
});
afterEach(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

async function loginOptions(browser: TestBrowser, body: object = {}) {
  return json(await browser.post(ROUTES.loginOptions, { body }));
}

async function auditTypes() {
  return (await t.db.rows("audit_events", "id")).map((r) => r.type);
}

describe("POST /auth/login/options", () => {
  it("offers a username-less (discoverable) sign-in with empty allowCredentials and required UV", async () => {
    const options = await loginOptions(alice);
    expect(options.allowCredentials).toEqual([]);
    expect(options.userVerification).toBe("required");
    expect(options.rpId).toBe("localhost");
    expect(Buffer.from(options.challenge, "base64url")).toHaveLength(32);
  });

  it("lists the account's passkeys for a known username", async () => {
    const options = await loginOptions(alice, { username: "alice" });
    expect(options.allowCredentials.map((c: { id: string }) => c.id)).toEqual([...alice.authenticator.credentials.keys()]);
  });

  it("answers an unknown username like a known one, with stable decoys shaped like real credentials", async () => {
    const known = await t.browser().post(ROUTES.loginOptions, { body: { username: "alice" } });
    const unknown = await t.browser().post(ROUTES.loginOptions, { body: { username: "nobody" } });
    const unknownAgain = await loginOptions(t.browser(), { username: "nobody" });
    expect(unknown.status).toBe(known.status);
    const [knownBody, unknownBody] = [await json(known), await json(unknown)];
    expect(Object.keys(unknownBody).sort()).toEqual(Object.keys(knownBody).sort());
    expect(unknownBody.allowCredentials.length).toBeGreaterThanOrEqual(1);
    expect(unknownBody.allowCredentials.length).toBeLessThanOrEqual(3);
    expect(unknownAgain.allowCredentials).toEqual(unknownBody.allowCredentials);
    // Across many names, decoys vary as real credentials do: ID lengths authenticators make, and
    // transports sorted as getTransports() reports them (WebAuthn §5.2.1.2), never one fixed shape.
    const lengths = new Set<number>();
    const transportSets = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { allowCredentials } = await loginOptions(t.browser(), { username: `nobody-${i}` });
      for (const decoy of allowCredentials) {
        expect(decoy.type).toBe("public-key");
        expect([...decoy.transports].sort()).toEqual(decoy.transports);
        lengths.add(Buffer.from(decoy.id, "base64url").length);
        transportSets.add(decoy.transports.join(","));
      }
    }
    expect([...lengths].every((n) => [16, 20, 32, 64].includes(n))).toBe(true);
    expect(lengths.size).toBeGreaterThan(2);
    expect(transportSets.size).toBeGreaterThan(2);
  });

  it("purges expired challenges when issuing new ones", async () => {
    await loginOptions(alice);
    await loginOptions(alice);
    t.clock.advance(301);
    await loginOptions(alice);
    expect((await tableCounts(t.db)).challenges).toBe(1);
  });
});

describe("POST /auth/login/verify", () => {
  it("signs in without a username and records the passkey's use", async () => {
    const browser = t.browser();
    alice.sharePasskeysWith(browser);
    const options = await loginOptions(browser);
    const response = await browser.post(ROUTES.loginVerify, { body: await browser.authenticator.authenticate(options) });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ tokenType: "Bearer", user: { username: "alice" } });
    expect(browser.refreshCookie).toBeDefined();
    const [passkey] = await t.store.passkeys.listForUser(aliceId);
    expect({ counter: passkey!.counter, lastUsedAt: passkey!.lastUsedAt }).toEqual({ counter: 1, lastUsedAt: t.clock.now().getTime() });
    expect(await auditTypes()).toContain("signed_in");
  });

  it("signs in with a username", async () => {
    const { user } = await alice.signIn({ username: "alice" });
    expect(user.username).toBe("alice");
  });

  it("refuses a replayed assertion (challenge used once)", async () => {
    const options = await loginOptions(alice);
    const assertion = await alice.authenticator.authenticate(options);
    expect((await alice.post(ROUTES.loginVerify, { body: assertion })).status).toBe(200);
    const replay = await alice.post(ROUTES.loginVerify, { body: assertion });
    expect(replay.status).toBe(400);
    expect((await json(replay)).error.code).toBe("challenge_not_found");
  });

  it("refuses a challenge issued for registration", async () => {
    const registerOptions = await json(await alice.post(ROUTES.registerOptions, { body: { username: "bob" } }));
    const options = await loginOptions(alice);
    const assertion = await alice.authenticator.authenticate({ ...options, challenge: registerOptions.challenge });
    const response = await alice.post(ROUTES.loginVerify, { body: assertion });
    expect((await json(response)).error.code).toBe("challenge_purpose_mismatch");
  });

  it("refuses an expired challenge", async () => {
    const options = await loginOptions(alice);
    t.clock.advance(301);
    const response = await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(options) });
    expect((await json(response)).error.code).toBe("challenge_expired");
  });

  it("consumes the challenge even when verification fails", async () => {
    const options = await loginOptions(alice);
    const bad = await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(options, { origin: "https://evil.example" }) });
    expect(bad.status).toBe(400);
    const retry = await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(options) });
    expect((await json(retry)).error.code).toBe("challenge_not_found");
  });

  it.each([
    ["a wrong origin", { origin: "https://evil.example" }],
    ["a wrong RP ID", { rpId: "evil.example" }],
    ["user presence missing", { userPresent: false }],
    ["user verification missing", { userVerified: false }],
    ["a cross-origin iframe without topOrigin", { crossOrigin: true }],
    ["a cross-origin iframe with topOrigin", { crossOrigin: true, topOrigin: "https://evil.example" }],
    ["the wrong ceremony type", { type: "webauthn.create" }],
    ["backup state without backup eligibility", { backupEligible: false, backedUp: true }],
    ["a user handle of another account", { userHandle: Buffer.alloc(32, 7).toString("base64url") }],
    ["no user handle on a username-less sign-in", { userHandle: null }],
  ])("refuses an assertion with %s, opens no session, and counts it in metrics without naming the account", async (_name, forgery) => {
    const counts = async () => [(await tableCounts(t.db)).sessions, (await t.db.rows("audit_events")).length];
    const before = await counts();
    const options = await loginOptions(alice);
    const response = await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(options, forgery) });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
    expect(await counts()).toEqual(before);
    expect(await sampleMetric(t, 'auth_sign_in_failures_total{reason="passkey_verification_failed"}')).toBe(1);
  });

  it("does not let 50 forged answers with a person's credential ID fill their activity: failures are theirs only once the signature verified (finding 5)", async () => {
    const { accessToken } = await alice.signIn();
    const mallory = t.browser();
    for (let i = 0; i < 50; i++) {
      // Mallory's own assertion, relabelled with Alice's credential ID: it names her, proves nothing.
      const options = await loginOptions(mallory, {});
      const forged = await alice.authenticator.authenticate(options, { signingKey: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey });
      expect((await mallory.post(ROUTES.loginVerify, { body: forged })).status).toBe(400);
    }
    const activity = await json(await alice.get(ROUTES.myActivity, { bearer: accessToken }));
    expect(activity.map((event: { type: string }) => event.type)).not.toContain("sign_in_failed");
    expect(await sampleMetric(t, 'auth_sign_in_failures_total{reason="passkey_verification_failed"}')).toBe(50);
    // A refusal after the signature verified is the account's: a blocked person's sign-in is in their log.
    await t.db.execute(`UPDATE users SET blocked_at = 1 WHERE username = 'alice'`);
    expect((await json(await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(await loginOptions(alice)) }))).error.code).toBe(
      "account_blocked",
    );
    const failed = await t.store.audit.list({ type: "sign_in_failed", limit: 10 });
    expect(failed.map((event) => [event.userId, event.detail.reason])).toEqual([[(await t.store.users.findByUsername("alice"))!.id, "account_blocked"]]);
  });

  it("refuses a signature made with another key", async () => {
    const options = await loginOptions(alice);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const response = await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(options, { signingKey: privateKey }) });
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
  });

  it("refuses another user's passkey when signing in as a named user", async () => {
    const mallory = t.browser();
    await mallory.signUp("mallory");
    const options = await loginOptions(mallory, { username: "alice" });
    const [malloryCredential] = mallory.authenticator.credentials.keys();
    const response = await mallory.post(ROUTES.loginVerify, {
      body: await mallory.authenticator.authenticate(options, { credentialId: malloryCredential! }),
    });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
  });

  it("refuses a credential that is not registered", async () => {
    const stranger = t.browser();
    const registerOptions = await json(await stranger.post(ROUTES.registerOptions, { body: { username: "stranger" } }));
    await stranger.authenticator.register(registerOptions); // made on the device, never sent to the server
    const options = await loginOptions(stranger);
    const response = await stranger.post(ROUTES.loginVerify, { body: await stranger.authenticator.authenticate(options) });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_not_found");
  });

  it("refuses a signature counter that goes backwards and keeps the stored counter", async () => {
    await alice.signIn(); // counter 1
    await alice.signIn(); // counter 2
    const options = await loginOptions(alice);
    const response = await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(options, { counter: 1 }) });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_counter_regression");
    expect((await t.store.passkeys.listForUser(aliceId))[0]!.counter).toBe(2);
  });

  it("signs in only one of two parallel assertions that carry the same counter", async () => {
    const [first, second] = [await loginOptions(alice), await loginOptions(alice)];
    const assertions = [await alice.authenticator.authenticate(first!, { counter: 5 }), await alice.authenticator.authenticate(second!, { counter: 5 })];
    const answers = await Promise.all(assertions.map((body) => alice.post(ROUTES.loginVerify, { body })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
    expect((await json(answers.find((r) => r.status === 400)!)).error.code).toBe("passkey_counter_regression");
    expect((await t.store.passkeys.listForUser(aliceId))[0]!.counter).toBe(5);
  });

  it("refuses an assertion whose backup eligibility differs from the one registered, either way", async () => {
    const deviceBound = await alice.post(ROUTES.loginVerify, {
      body: await alice.authenticator.authenticate(await loginOptions(alice), { backupEligible: true }),
    });
    expect(deviceBound.status).toBe(400);
    expect((await json(deviceBound)).error.code).toBe("passkey_verification_failed");
    const synced = t.browser();
    await synced.signUp("carol", { backupEligible: true });
    const lost = await synced.post(ROUTES.loginVerify, {
      body: await synced.authenticator.authenticate(await loginOptions(synced), { backupEligible: false }),
    });
    expect(lost.status).toBe(400);
    expect((await json(lost)).error.code).toBe("passkey_verification_failed");
    expect((await synced.signIn()).accessToken).toBeDefined(); // not a refusal of the passkey itself
  });

  it("keeps accepting a synced passkey that always reports counter 0", async () => {
    const synced = t.browser();
    synced.authenticator.counterMode = "zero";
    await synced.signUp("carol");
    await synced.signIn();
    const { user } = await synced.signIn();
    expect(user.username).toBe("carol");
  });

  it("refuses a blocked account with 403 account_blocked", async () => {
    await t.db.execute("UPDATE users SET blocked_at = 1");
    const options = await loginOptions(alice);
    const response = await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(options) });
    expect(response.status).toBe(403);
    expect((await json(response)).error.code).toBe("account_blocked");
  });

  it("answers malformed assertions with 400 invalid_request and changes nothing", async () => {
    const before = await tableCounts(t.db);
    for (const body of [
      "{",
      "null",
      { id: "x" },
      { id: "x", rawId: "x", type: "public-key", response: { clientDataJSON: "e30", authenticatorData: "%%", signature: "AA" }, clientExtensionResults: {} },
    ]) {
      const response = await alice.post(ROUTES.loginVerify, { body });
      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe("invalid_request");
    }
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it("never evicts the session it just opened, even within the same millisecond", async () => {
    const limited = await createTestApp({ MAX_SESSIONS_PER_USER: "1" });
    const browser = limited.browser();
    await browser.signUp("erin");
    for (let i = 0; i < 5; i++) {
      const { accessToken } = await browser.signIn();
      expect((await browser.get(ROUTES.me, { bearer: accessToken })).status).toBe(200);
    }
    expect((await limited.db.rows("sessions")).filter((row) => row.revoked_at === null)).toHaveLength(1);
    await limited.close();
  });

  it("revokes the oldest session past MAX_SESSIONS_PER_USER", async () => {
    const limited = await createTestApp({ MAX_SESSIONS_PER_USER: "2" });
    const browser = limited.browser();
    await browser.signUp("dave"); // session 1
    limited.clock.advance(1);
    await browser.signIn(); // session 2
    limited.clock.advance(1);
    await browser.signIn(); // session 3: session 1 goes
    const rows = await limited.db.rows("sessions", "created_at");
    expect(rows.map((row) => row.revoked_reason)).toEqual(["session_limit", null, null]);
    expect(await limited.store.audit.list({ type: "session_evicted", limit: 10 })).toHaveLength(1);
    await limited.close();
  });
});

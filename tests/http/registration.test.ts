import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { ROUTES } from "../../shared/routes.ts";
import { createTestApp, json, tableCounts, type TestApp } from "../helpers/harness.ts";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe("POST /auth/register/options", () => {
  it("returns creation options with a fresh 32-byte challenge, required UV and a discoverable credential", async () => {
    const browser = t.browser();
    const first = await json(await browser.post(ROUTES.registerOptions, { body: { username: "Alice", displayName: "Alice A." } }));
    const second = await json(await browser.post(ROUTES.registerOptions, { body: { username: "alice" } }));
    expect(Buffer.from(first.challenge, "base64url")).toHaveLength(32);
    expect(first.challenge).not.toBe(second.challenge);
    expect(first.rp).toEqual({ name: t.config.rpName, id: "localhost" });
    expect(first.user.name).toBe("alice");
    expect(first.user.displayName).toBe("Alice A.");
    expect(first.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(first.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toContain(-7);
  });

  it("uses a random user handle, never the username", async () => {
    const options = await json(await t.browser().post(ROUTES.registerOptions, { body: { username: "alice" } }));
    const handle = Buffer.from(options.user.id, "base64url");
    expect(handle).toHaveLength(32);
    expect(handle.toString("utf8")).not.toContain("alice");
  });

  it("stores the challenge with its purpose and a five-minute expiry", async () => {
    const options = await json(await t.browser().post(ROUTES.registerOptions, { body: { username: "alice" } }));
    const row = (await t.db.rows("challenges")).find((r) => r.challenge === options.challenge) as {
      purpose: string;
      username: string;
      expires_at: number;
      created_at: number;
    };
    expect(row).toMatchObject({ purpose: "registration", username: "alice" });
    expect(row.expires_at - row.created_at).toBe(300_000);
  });

  it("answers 409 username_taken for an existing username, in any letter case", async () => {
    await t.browser().signUp("alice");
    const response = await t.browser().post(ROUTES.registerOptions, { body: { username: "ALICE" } });
    expect(response.status).toBe(409);
    expect((await json(response)).error.code).toBe("username_taken");
  });

  it.each([
    ["no username", {}],
    ["a too short username", { username: "ab" }],
    ["a username with spaces", { username: "a b c" }],
    ["a non-string username", { username: 42 }],
    ["an unknown field", { username: "alice", admin: true }],
    ["a display name with control characters", { username: "alice", displayName: "a\u0000b" }],
    ["a display name with a bidirectional override", { username: "alice", displayName: "Bob\u202Enimda" }],
  ])("refuses %s with 400 invalid_request and stores nothing", async (_name, body) => {
    const before = await tableCounts(t.db);
    const response = await t.browser().post(ROUTES.registerOptions, { body });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("invalid_request");
    expect(await tableCounts(t.db)).toEqual(before);
  });
});

describe("POST /auth/register/verify", () => {
  it("creates the user and passkey, returns an access token and sets the refresh cookie", async () => {
    const browser = t.browser();
    const options = await json(await browser.post(ROUTES.registerOptions, { body: { username: "alice", displayName: "Alice" } }));
    const response = await browser.post(ROUTES.registerVerify, { body: await browser.authenticator.register(options) });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ tokenType: "Bearer", expiresIn: 600, user: { username: "alice", displayName: "Alice", role: "user" } });
    expect(body.accessToken.split(".")).toHaveLength(3);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("__Host-refresh="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const passkeys = await t.store.passkeys.listForUser(body.user.id);
    expect(passkeys.map((passkey) => passkey.credentialId)).toEqual([...browser.authenticator.credentials.keys()]);
  });

  it("makes nobody an admin by registering a name first, even a name ADMIN_USERNAMES lists (finding 3)", async () => {
    const raced = await createTestApp({ ADMIN_USERNAMES: "root" });
    try {
      const { user, accessToken } = await raced.browser().signUp("root");
      expect(user.role).toBe("user");
      expect(decodeJwt(accessToken).role).toBe("user");
      expect((await raced.store.users.findByUsername("root"))!.role).toBe("user");
      expect((await raced.browser().get(ROUTES.adminUsers, { bearer: accessToken })).status).toBe(403);
      expect(raced.config.warnings).toEqual([expect.stringContaining("npm run admin -- grant")]);
    } finally {
      await raced.close();
    }
  });

  it("refuses a replayed registration challenge", async () => {
    const browser = t.browser();
    const options = await json(await browser.post(ROUTES.registerOptions, { body: { username: "alice" } }));
    const attestation = await browser.authenticator.register(options);
    expect((await browser.post(ROUTES.registerVerify, { body: attestation })).status).toBe(200);
    const replay = await browser.post(ROUTES.registerVerify, { body: attestation });
    expect(replay.status).toBe(400);
    expect((await json(replay)).error.code).toBe("challenge_not_found");
  });

  it("refuses a challenge issued for sign-in", async () => {
    const browser = t.browser();
    const loginOptions = await json(await browser.post(ROUTES.loginOptions, { body: {} }));
    const registerOptions = await json(await browser.post(ROUTES.registerOptions, { body: { username: "alice" } }));
    const attestation = await browser.authenticator.register({ ...registerOptions, challenge: loginOptions.challenge });
    const response = await browser.post(ROUTES.registerVerify, { body: attestation });
    expect((await json(response)).error.code).toBe("challenge_purpose_mismatch");
    expect((await tableCounts(t.db)).users).toBe(0);
  });

  it("refuses an expired challenge", async () => {
    const browser = t.browser();
    const options = await json(await browser.post(ROUTES.registerOptions, { body: { username: "alice" } }));
    t.clock.advance(301);
    const response = await browser.post(ROUTES.registerVerify, { body: await browser.authenticator.register(options) });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("challenge_expired");
  });

  it.each([
    ["a wrong origin", { origin: "https://evil.example" }],
    ["a wrong RP ID", { rpId: "evil.example" }],
    ["user presence missing", { userPresent: false }],
    ["user verification missing", { userVerified: false }],
    ["a cross-origin iframe", { crossOrigin: true }],
    ["a top origin", { topOrigin: "https://evil.example" }],
    ["the wrong ceremony type", { type: "webauthn.get" }],
  ])("refuses a response with %s and consumes the challenge", async (_name, forgery) => {
    const browser = t.browser();
    const options = await json(await browser.post(ROUTES.registerOptions, { body: { username: "alice" } }));
    const response = await browser.post(ROUTES.registerVerify, { body: await browser.authenticator.register(options, forgery) });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
    expect(await tableCounts(t.db)).toMatchObject({ users: 0, passkeys: 0, challenges: 0, sessions: 0 });
  });

  it("refuses a response whose id differs from the credential in the authenticator data", async () => {
    const browser = t.browser();
    await browser.signUp("alice");
    const [aliceCredentialId] = browser.authenticator.credentials.keys();
    const options = await json(await browser.post(ROUTES.registerOptions, { body: { username: "mallory" } }));
    const attestation = await browser.authenticator.register(options);
    attestation.id = aliceCredentialId!;
    attestation.rawId = aliceCredentialId!;
    const response = await browser.post(ROUTES.registerVerify, { body: attestation });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
    expect(await tableCounts(t.db)).toMatchObject({ users: 1, passkeys: 1 });
  });

  it("refuses a credential ID already registered to another user with 409", async () => {
    const browser = t.browser();
    await browser.signUp("alice");
    const [aliceCredentialId] = browser.authenticator.credentials.keys();
    const options = await json(await browser.post(ROUTES.registerOptions, { body: { username: "mallory" } }));
    const response = await browser.post(ROUTES.registerVerify, {
      body: await browser.authenticator.register(options, { credentialId: aliceCredentialId! }),
    });
    expect(response.status).toBe(409);
    expect((await json(response)).error.code).toBe("passkey_already_registered");
    const owners = (await t.db.rows("passkeys")).map((row) => row.user_id);
    expect(owners).toEqual([(await t.store.users.findByUsername("alice"))!.id]);
  });

  it("creates only one account when two sign-ups race for one username", async () => {
    const a = t.browser();
    const b = t.browser();
    const optionsA = await json(await a.post(ROUTES.registerOptions, { body: { username: "alice" } }));
    const optionsB = await json(await b.post(ROUTES.registerOptions, { body: { username: "alice" } }));
    const first = await a.post(ROUTES.registerVerify, { body: await a.authenticator.register(optionsA) });
    const second = await b.post(ROUTES.registerVerify, { body: await b.authenticator.register(optionsB) });
    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect((await json(second)).error.code).toBe("username_taken");
    expect(await tableCounts(t.db)).toMatchObject({ users: 1, passkeys: 1 });
  });

  it.each([
    ["invalid JSON", "{not json"],
    ["a JSON array", "[]"],
    [
      "a non-base64url clientDataJSON",
      { id: "a", rawId: "a", type: "public-key", response: { clientDataJSON: "!!", attestationObject: "AA" }, clientExtensionResults: {} },
    ],
    [
      "clientDataJSON that is not JSON",
      { id: "a", rawId: "a", type: "public-key", response: { clientDataJSON: "bm90IGpzb24", attestationObject: "AA" }, clientExtensionResults: {} },
    ],
    [
      "a credential ID over 1023 bytes",
      {
        id: "A".repeat(1400),
        rawId: "A".repeat(1400),
        type: "public-key",
        response: { clientDataJSON: "e30", attestationObject: "AA" },
        clientExtensionResults: {},
      },
    ],
  ])("answers %s with 400 invalid_request and changes nothing", async (_name, body) => {
    const before = await tableCounts(t.db);
    const response = await t.browser().post(ROUTES.registerVerify, { body });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("invalid_request");
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it("answers garbage CBOR in the attestation object with a 4xx, not a 500", async () => {
    const browser = t.browser();
    const options = await json(await browser.post(ROUTES.registerOptions, { body: { username: "alice" } }));
    const attestation = await browser.authenticator.register(options);
    attestation.response.attestationObject = Buffer.from("not cbor at all").toString("base64url");
    const response = await browser.post(ROUTES.registerVerify, { body: attestation });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
  });
});

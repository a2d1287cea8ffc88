import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROUTES, routePath } from "../../shared/routes.ts";
import type { Forgery } from "../../tools/authenticator.ts";
import { createTestApp, json, tableCounts, type TestBrowser, type TestApp } from "../helpers/harness.ts";

let t: TestApp;
let alice: TestBrowser;
let token: string;
beforeEach(async () => {
  t = await createTestApp();
  alice = t.browser();
  token = (await alice.signUp("alice")).accessToken;
});
afterEach(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const list = async (browser = alice, bearer = token) => json(await browser.get(ROUTES.passkeys, { bearer }));
const auditCount = async (type: string) => (await t.store.audit.list({ type, limit: 1000 })).length;

/** Adds a passkey made by `device` (a second authenticator) to alice's account. */
async function addPasskey(device: TestBrowser, forgery: Forgery = {}) {
  const options = await json(await alice.post(ROUTES.passkeyOptions, { bearer: token }));
  return alice.post(ROUTES.passkeyVerify, { bearer: token, body: await device.authenticator.register(options, forgery) });
}

/** A second device whose only passkey is the one it adds to alice's account. */
function secondDevice(): TestBrowser {
  return t.browser();
}

describe("GET /api/passkeys", () => {
  it("lists the passkey with its name, provider, dates, backup state and kind, plus what the Signal API needs", async () => {
    const body = await list();
    expect(body).toMatchObject({ rpId: "localhost", userHandle: expect.any(String) });
    expect(body.passkeys).toEqual([
      {
        id: expect.any(String),
        name: "Device-bound passkey",
        providerName: null,
        credentialId: [...alice.authenticator.credentials.keys()][0],
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        backedUp: false,
        kind: "device-bound",
      },
    ]);
  });

  it("stores backup eligibility and state and updates backup state on each sign-in", async () => {
    const synced = t.browser();
    synced.authenticator.counterMode = "zero";
    const { accessToken } = await synced.signUp("carol", { backupEligible: true, backedUp: false });
    expect((await list(synced, accessToken)).passkeys[0]).toMatchObject({ kind: "synced", backedUp: false });
    const options = await json(await synced.post(ROUTES.loginOptions, { body: {} }));
    const login = await synced.post(ROUTES.loginVerify, { body: await synced.authenticator.authenticate(options, { backupEligible: true, backedUp: true }) });
    const { accessToken: fresh } = await json(login);
    expect((await list(synced, fresh)).passkeys[0]).toMatchObject({ kind: "synced", backedUp: true });
  });
});

describe("adding a passkey", () => {
  it("lists existing passkeys in excludeCredentials", async () => {
    const options = await json(await alice.post(ROUTES.passkeyOptions, { bearer: token }));
    expect(options.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([...alice.authenticator.credentials.keys()]);
    expect(options.user.name).toBe("alice");
  });

  it("requires a recent passkey verification to add one, at options and at verify alike", async () => {
    const options = await json(await alice.post(ROUTES.passkeyOptions, { bearer: token }));
    const credential = await secondDevice().authenticator.register(options);
    t.clock.advance(301); // someone at the unlocked screen, or a script holding the access token
    for (const response of [
      await alice.post(ROUTES.passkeyOptions, { bearer: token }),
      await alice.post(ROUTES.passkeyVerify, { bearer: token, body: credential }),
    ]) {
      expect(response.status).toBe(403);
      expect((await json(response)).error.code).toBe("reauthentication_required");
    }
    expect((await tableCounts(t.db)).passkeys).toBe(1);
    expect((await alice.stepUp(token)).status).toBe(204);
    expect((await addPasskey(secondDevice())).status).toBe(201);
  });

  it("adds a second passkey that can then sign in, and audits passkey_added", async () => {
    const laptop = secondDevice();
    const response = await addPasskey(laptop);
    expect(response.status).toBe(201);
    expect((await list()).passkeys).toHaveLength(2);
    expect(await auditCount("passkey_added")).toBe(1);
    const { user } = await laptop.signIn();
    expect(user.username).toBe("alice");
  });

  it("refuses a challenge issued to another account", async () => {
    const bob = t.browser();
    const bobToken = (await bob.signUp("bob")).accessToken;
    const aliceOptions = await json(await alice.post(ROUTES.passkeyOptions, { bearer: token }));
    const response = await bob.post(ROUTES.passkeyVerify, { bearer: bobToken, body: await t.browser().authenticator.register(aliceOptions) });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
    expect((await tableCounts(t.db)).passkeys).toBe(2);
  });

  it("refuses a sign-up challenge", async () => {
    const signUpOptions = await json(await t.browser().post(ROUTES.registerOptions, { body: { username: "zed" } }));
    const response = await alice.post(ROUTES.passkeyVerify, { bearer: token, body: await secondDevice().authenticator.register(signUpOptions) });
    expect((await json(response)).error.code).toBe("challenge_purpose_mismatch");
  });

  it("refuses an attestation format we did not ask for (packed self-attestation)", async () => {
    const response = await addPasskey(secondDevice(), { attestationFormat: "packed" });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
    expect((await tableCounts(t.db)).passkeys).toBe(1);
  });

  it("refuses a key algorithm we did not ask for (ES384)", async () => {
    const response = await addPasskey(secondDevice(), { algorithm: "ES384" });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
  });

  it("accepts an RS256 key of 2048 to 4096 bits with exponent 65537, and refuses a weak or oversized one", async () => {
    for (const [forgery, status] of [
      [{ rsaModulusBits: 1024 }, 400],
      [{ rsaModulusBits: 2048, rsaExponent: 3 }, 400],
      [{ rsaModulusBits: 4104 }, 400],
      [{ rsaModulusBits: 2048 }, 201],
    ] as const) {
      const response = await addPasskey(secondDevice(), { algorithm: "RS256", ...forgery });
      expect(response.status, JSON.stringify(forgery)).toBe(status);
      if (status === 400) expect((await json(response)).error.code).toBe("passkey_verification_failed");
    }
    expect((await tableCounts(t.db)).passkeys).toBe(2);
  });

  it("refuses a credential ID longer than 1023 bytes", async () => {
    const response = await addPasskey(secondDevice(), { credentialIdBytes: 1024 });
    expect(response.status).toBe(400);
    expect((await tableCounts(t.db)).passkeys).toBe(1);
  });

  it("accepts the same authenticator when its attestation format is none (control for the two refusals above)", async () => {
    // The same authenticator with attestation "none" is accepted: the refusal above is about the format.
    expect((await addPasskey(secondDevice(), { attestationFormat: "none" })).status).toBe(201);
  });
});

describe("PATCH /api/passkeys/:id", () => {
  it("renames my passkey and audits it", async () => {
    const [passkey] = (await list()).passkeys;
    const response = await alice.request("PATCH", routePath(ROUTES.passkey, { id: passkey.id }), { bearer: token, body: { name: "  Work laptop  " } });
    expect(response.status).toBe(204);
    expect((await list()).passkeys[0].name).toBe("Work laptop");
    expect(await auditCount("passkey_renamed")).toBe(1);
  });

  it("refuses a name with bidirectional or invisible format characters, and keeps emoji joiners", async () => {
    const [passkey] = (await list()).passkeys;
    const rename = (name: string) => alice.request("PATCH", routePath(ROUTES.passkey, { id: passkey.id }), { bearer: token, body: { name } });
    // U+202E RIGHT-TO-LEFT OVERRIDE shows "laptop\u202Eexe.txt" as "laptoptxt.exe"; U+2066 isolates; U+200B hides.
    for (const name of ["laptop\u202Eexe.txt", "a\u2066b\u2069", "zero\u200Bwidth", "line\u2028break", "b\uFEFFom"]) {
      const response = await rename(name);
      expect(response.status, JSON.stringify(name)).toBe(400);
      expect((await json(response)).error.code).toBe("invalid_request");
    }
    expect((await list()).passkeys[0].name).toBe(passkey.name);
    const family = "Family iPad \u{1F468}\u200D\u{1F469}\u200D\u{1F467}";
    expect((await rename(family)).status).toBe(204);
    expect((await list()).passkeys[0].name).toBe(family);
  });

  it("answers 404 for another user's passkey and leaves its name", async () => {
    const bob = t.browser();
    const bobToken = (await bob.signUp("bob")).accessToken;
    const [bobPasskey] = (await list(bob, bobToken)).passkeys;
    const response = await alice.request("PATCH", routePath(ROUTES.passkey, { id: bobPasskey.id }), { bearer: token, body: { name: "mine now" } });
    expect(response.status).toBe(404);
    expect((await list(bob, bobToken)).passkeys[0].name).toBe(bobPasskey.name);
  });

  it.each([{ name: "" }, { name: "x".repeat(65) }, { name: "a\u0007b" }, {}])("refuses the body %j with 400", async (body) => {
    const [passkey] = (await list()).passkeys;
    const response = await alice.request("PATCH", routePath(ROUTES.passkey, { id: passkey.id }), { bearer: token, body });
    expect(response.status).toBe(400);
  });
});

describe("DELETE /api/passkeys/:id", () => {
  it("refuses to delete the only passkey with 409 last_passkey", async () => {
    const [passkey] = (await list()).passkeys;
    const response = await alice.request("DELETE", routePath(ROUTES.passkey, { id: passkey.id }), { bearer: token });
    expect(response.status).toBe(409);
    expect((await json(response)).error.code).toBe("last_passkey");
    expect((await tableCounts(t.db)).passkeys).toBe(1);
  });

  it("answers 404 for another user's passkey", async () => {
    const bob = t.browser();
    const bobToken = (await bob.signUp("bob")).accessToken;
    await addPasskey(secondDevice());
    const [bobPasskey] = (await list(bob, bobToken)).passkeys;
    const response = await alice.request("DELETE", routePath(ROUTES.passkey, { id: bobPasskey.id }), { bearer: token });
    expect(response.status).toBe(404);
    expect((await tableCounts(t.db)).passkeys).toBe(3);
  });

  it("deletes a passkey: it can no longer sign in, and the sessions it opened end, except this one", async () => {
    const lostPhone = secondDevice();
    await addPasskey(lostPhone);
    const phoneSession = await lostPhone.signIn();
    const phonePasskey = (await list()).passkeys[1];
    const response = await alice.request("DELETE", routePath(ROUTES.passkey, { id: phonePasskey.id }), { bearer: token });
    expect(response.status).toBe(204);
    expect((await list()).passkeys.map((p: { id: string }) => p.id)).not.toContain(phonePasskey.id);
    expect((await json(await lostPhone.get(ROUTES.me, { bearer: phoneSession.accessToken }))).error.code).toBe("session_revoked");
    const options = await json(await lostPhone.post(ROUTES.loginOptions, { body: {} }));
    const login = await lostPhone.post(ROUTES.loginVerify, { body: await lostPhone.authenticator.authenticate(options) });
    expect((await json(login)).error.code).toBe("passkey_not_found");
    expect((await alice.get(ROUTES.me, { bearer: token })).status).toBe(200);
    expect(await auditCount("passkey_removed")).toBe(1);
  });

  it("requires a recent passkey verification, which a step-up gives without a new session", async () => {
    await addPasskey(secondDevice());
    const target = (await list()).passkeys[1];
    t.clock.advance(301);
    const stale = await alice.request("DELETE", routePath(ROUTES.passkey, { id: target.id }), { bearer: token });
    expect(stale.status).toBe(403);
    expect((await json(stale)).error.code).toBe("reauthentication_required");

    const sessionsBefore = (await tableCounts(t.db)).sessions;
    const options = await json(await alice.post(ROUTES.stepUpOptions, { bearer: token }));
    expect(options.allowCredentials.map((c: { id: string }) => c.id)).toContain([...alice.authenticator.credentials.keys()][0]);
    const stepUp = await alice.post(ROUTES.stepUpVerify, { bearer: token, body: await alice.authenticator.authenticate(options) });
    expect(stepUp.status).toBe(204);
    expect((await tableCounts(t.db)).sessions).toBe(sessionsBefore);
    expect(await auditCount("step_up_verified")).toBe(1);
    expect((await alice.request("DELETE", routePath(ROUTES.passkey, { id: target.id }), { bearer: token })).status).toBe(204);
  });
});

describe("step-up", () => {
  it("refuses another account's passkey", async () => {
    const mallory = t.browser();
    await mallory.signUp("mallory");
    const options = await json(await alice.post(ROUTES.stepUpOptions, { bearer: token }));
    const [malloryCredential] = mallory.authenticator.credentials.keys();
    const response = await alice.post(ROUTES.stepUpVerify, {
      bearer: token,
      body: await mallory.authenticator.authenticate({ ...options, allowCredentials: [] }, { credentialId: malloryCredential! }),
    });
    expect(response.status).toBe(400);
    expect(await auditCount("step_up_verified")).toBe(0);
  });

  it("refuses a sign-in challenge", async () => {
    const options = await json(await alice.post(ROUTES.loginOptions, { body: {} }));
    const response = await alice.post(ROUTES.stepUpVerify, { bearer: token, body: await alice.authenticator.authenticate(options) });
    expect((await json(response)).error.code).toBe("challenge_purpose_mismatch");
  });

  it("is required before signing out everywhere once the sign-in is old", async () => {
    t.clock.advance(301);
    const response = await alice.post(ROUTES.logoutAll, { bearer: token });
    expect((await json(response)).error.code).toBe("reauthentication_required");
    expect((await t.db.rows("sessions")).filter((row) => row.revoked_at === null)).toHaveLength(1);
  });
});

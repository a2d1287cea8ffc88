import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { changeAccount } from "../../server/auth/accounts.ts";
import { ROUTES } from "../../shared/routes.ts";
import { createTestApp, json, sampleMetric, tableCounts, type TestApp, type TestBrowser } from "../helpers/harness.ts";

let t: TestApp;
let alice: TestBrowser;
let codes: string[];
beforeEach(async () => {
  t = await createTestApp();
  alice = t.browser();
  const options = await json(await alice.post(ROUTES.registerOptions, { body: { username: "alice" } }));
  const body = await json(await alice.post(ROUTES.registerVerify, { body: await alice.authenticator.register(options) }));
  codes = body.recoveryCodes;
});
afterEach(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const redeem = (code: string, username = "alice") => t.browser().post(ROUTES.recover, { body: { username, code } });
const auditCount = async (type: string) => (await t.store.audit.list({ type, limit: 1000 })).length;

/** The whole recovery on a new device: code → grant → options → new passkey → signed in. */
async function recoverOnNewDevice(code: string) {
  const device = t.browser();
  const { recoveryToken } = await json(await device.post(ROUTES.recover, { body: { username: "alice", code } }));
  const options = await json(await device.post(ROUTES.recoverOptions, { body: { recoveryToken } }));
  const response = await device.post(ROUTES.recoverVerify, { body: { recoveryToken, credential: await device.authenticator.register(options) } });
  return { device, recoveryToken, options, response };
}

describe("recovery codes", () => {
  it("gives ten one-time codes at sign-up and stores only their HMACs", async () => {
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(/^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/);
    expect(new Set(codes).size).toBe(10);
    const stored = JSON.stringify(await t.db.rows("recovery_codes"));
    for (const code of codes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replaceAll("-", ""));
    }
  });

  it("regenerates a fresh set (after a recent verification) and the old codes stop working", async () => {
    const { accessToken } = await alice.signIn();
    const remaining = await json(await alice.get(ROUTES.recoveryCodes, { bearer: accessToken }));
    expect(remaining).toEqual({ remaining: 10 });
    const { recoveryCodes } = await json(await alice.post(ROUTES.recoveryCodes, { bearer: accessToken }));
    expect(recoveryCodes).toHaveLength(10);
    expect((await redeem(codes[0]!)).status).toBe(401);
    expect((await redeem(recoveryCodes[0])).status).toBe(200);
    t.clock.advance(301);
    const stale = await alice.post(ROUTES.recoveryCodes, { bearer: accessToken });
    expect((await json(stale)).error.code).toBe("reauthentication_required");
  });
});

describe("POST /auth/recover", () => {
  it("exchanges a code for a short grant, accepting any letter case and spacing", async () => {
    const response = await redeem(codes[0]!.toLowerCase().replaceAll("-", " "));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ recoveryToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresIn: 600 });
    expect(await auditCount("recovery_code_used")).toBe(1);
  });

  it("accepts each code once", async () => {
    expect((await redeem(codes[1]!)).status).toBe(200);
    const again = await redeem(codes[1]!);
    expect(again.status).toBe(401);
    expect((await json(again)).error.code).toBe("recovery_failed");
  });

  it("answers a wrong code, a malformed code and an unknown username alike", async () => {
    const answers = await Promise.all([redeem("AAAA-BBBB-CCCC"), redeem("hello"), redeem(codes[0]!, "nobody")]);
    const bodies = await Promise.all(answers.map((r) => json(r)));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    // No code matched: nothing proven about anyone, so nothing in an account's log; counted in metrics.
    expect(await auditCount("recovery_failed")).toBe(0);
    expect(await sampleMetric(t, 'auth_recovery_failures_total{reason="wrong_code"}')).toBe(1);
    expect(await sampleMetric(t, 'auth_recovery_failures_total{reason="malformed_code"}')).toBe(1);
    expect(await sampleMetric(t, 'auth_recovery_failures_total{reason="unknown_user"}')).toBe(1);
  });
});

describe("recovering the account with a grant", () => {
  it("registers a new passkey, signs in, and ends every other session", async () => {
    const { accessToken: oldToken } = await alice.signIn();
    const { device, options, response } = await recoverOnNewDevice(codes[0]!);
    expect(options.user.name).toBe("alice");
    expect(options.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([...alice.authenticator.credentials.keys()]);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.user.username).toBe("alice");
    expect(device.refreshCookie).toBeDefined();
    expect((await json(await alice.get(ROUTES.me, { bearer: oldToken }))).error.code).toBe("session_revoked");
    expect((await json(await alice.refresh())).error.code).toBe("session_revoked");
    expect((await tableCounts(t.db)).passkeys).toBe(2);
    expect(await auditCount("account_recovered")).toBe(1);
    const { user } = await device.signIn(); // the new passkey works
    expect(user.username).toBe("alice");
  });

  it("lets a grant register one passkey only", async () => {
    const { device, recoveryToken, response } = await recoverOnNewDevice(codes[0]!);
    expect(response.status).toBe(200);
    const options = await device.post(ROUTES.recoverOptions, { body: { recoveryToken } });
    expect(options.status).toBe(401);
    expect((await json(options)).error.code).toBe("recovery_grant_invalid");
  });

  it("refuses the grant anywhere but the recovery routes", async () => {
    const { recoveryToken } = await json(await redeem(codes[0]!));
    const device = t.browser();
    for (const [method, path] of [
      ["GET", ROUTES.me],
      ["GET", ROUTES.passkeys],
      ["POST", ROUTES.passkeyOptions],
      ["GET", ROUTES.sessions],
    ] as const) {
      const response = await device.request(method, path, { bearer: recoveryToken });
      expect(response.status).toBe(401);
      expect((await json(response)).error.code).toBe("token_invalid");
    }
    device.refreshCookie = recoveryToken;
    expect((await device.refresh()).status).toBe(401);
  });

  it("answers a blocked account's recovery like a wrong code, and uses no code", async () => {
    const alice = (await t.store.users.findByUsername("alice"))!;
    const context = { ip: null, userAgent: null };
    await changeAccount(t, { targetId: alice.id, blocked: true, actorId: null, context });
    const [blocked, wrong] = [await redeem(codes[0]!), await redeem("AAAA-BBBB-CCCC")];
    expect(blocked.status).toBe(wrong.status);
    expect((await json(blocked)).error).toEqual((await json(wrong)).error);
    await changeAccount(t, { targetId: alice.id, blocked: false, actorId: null, context });
    expect((await redeem(codes[0]!)).status).toBe(200); // the code was not used up
  });

  it("refuses a grant taken before the account was blocked, and registers nothing", async () => {
    const { recoveryToken } = await json(await redeem(codes[0]!));
    const device = t.browser();
    const options = await json(await device.post(ROUTES.recoverOptions, { body: { recoveryToken } }));
    const alice = (await t.store.users.findByUsername("alice"))!;
    await changeAccount(t, { targetId: alice.id, blocked: true, actorId: null, context: { ip: null, userAgent: null } });
    const before = await tableCounts(t.db);
    for (const response of [
      await device.post(ROUTES.recoverOptions, { body: { recoveryToken } }),
      await device.post(ROUTES.recoverVerify, { body: { recoveryToken, credential: await device.authenticator.register(options) } }),
    ]) {
      expect(response.status).toBe(403);
      expect((await json(response)).error.code).toBe("account_blocked");
    }
    expect(device.refreshCookie).toBeUndefined();
    const after = await tableCounts(t.db);
    expect({ passkeys: after.passkeys, sessions: after.sessions }).toEqual({ passkeys: before.passkeys, sessions: before.sessions });
  });

  it("refuses an expired grant", async () => {
    const { recoveryToken } = await json(await redeem(codes[0]!));
    t.clock.advance(601);
    const response = await t.browser().post(ROUTES.recoverOptions, { body: { recoveryToken } });
    expect((await json(response)).error.code).toBe("recovery_grant_invalid");
  });

  it("refuses creation options issued through another account's grant", async () => {
    const bob = t.browser();
    const bobOptions = await json(await bob.post(ROUTES.registerOptions, { body: { username: "bob" } }));
    const bobBody = await json(await bob.post(ROUTES.registerVerify, { body: await bob.authenticator.register(bobOptions) }));
    const { recoveryToken: bobGrant } = await json(await redeem(bobBody.recoveryCodes[0], "bob"));
    const { recoveryToken: aliceGrant } = await json(await redeem(codes[0]!));
    const device = t.browser();
    const optionsForBob = await json(await device.post(ROUTES.recoverOptions, { body: { recoveryToken: bobGrant } }));
    const response = await device.post(ROUTES.recoverVerify, {
      body: { recoveryToken: aliceGrant, credential: await device.authenticator.register(optionsForBob) },
    });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("passkey_verification_failed");
    expect((await tableCounts(t.db)).passkeys).toBe(2);
  });
});

import { createHmac, generateKeyPairSync } from "node:crypto";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROUTES } from "../../shared/routes.ts";
import { createTestApp, json, type TestApp, type TestBrowser } from "../helpers/harness.ts";

let t: TestApp;
let alice: TestBrowser;
let accessToken: string;
beforeEach(async () => {
  t = await createTestApp();
  alice = t.browser();
  accessToken = (await alice.signUp("alice")).accessToken;
});
afterEach(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

async function me(token: string) {
  return alice.get(ROUTES.me, { bearer: token });
}

async function expectRefused(response: Response, code: string) {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm=".*", error="invalid_token"$/);
  expect((await json(response)).error.code).toBe(code);
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("access tokens", () => {
  it("is an RFC 9068 JWT: typ at+jwt, ES256, kid, and the required claims", async () => {
    const header = decodeProtectedHeader(accessToken);
    expect(header).toMatchObject({ alg: "ES256", typ: "at+jwt", kid: t.keys.current.kid });
    const claims = decodeJwt(accessToken);
    const now = Math.floor(t.clock.now().getTime() / 1000);
    expect(claims).toMatchObject({ iss: t.config.issuer, aud: t.config.apiAudience, role: "user", iat: now, exp: now + 600, client_id: t.config.issuer });
    expect(claims.sub).toEqual(expect.any(String));
    expect(claims.sid).toEqual(expect.any(String));
    expect(claims.jti).toEqual(expect.any(String));
  });

  it("verifies with the published JWKS, as another service would", async () => {
    const jwks = await json(await alice.get(ROUTES.jwks));
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty("d");
    const { payload } = await jwtVerify(accessToken, createLocalJWKSet(jwks), {
      issuer: t.config.issuer,
      audience: t.config.apiAudience,
      algorithms: ["ES256"],
      typ: "at+jwt",
      currentDate: t.clock.now(),
    });
    expect(payload.sub).toBe(decodeJwt(accessToken).sub);
  });

  it("opens GET /api/me with a valid token", async () => {
    const response = await me(accessToken);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ username: "alice", displayName: "alice", role: "user", createdAt: expect.any(String) });
  });

  it("refuses a missing token with 401 token_missing and a Bearer challenge", async () => {
    await expectRefused(await alice.get(ROUTES.me), "token_missing");
  });

  it("refuses an expired token with 401 token_expired", async () => {
    t.clock.advance(601);
    await expectRefused(await me(accessToken), "token_expired");
  });

  it("refuses an expired token even after it was verified and cached", async () => {
    expect((await me(accessToken)).status).toBe(200);
    t.clock.advance(599);
    expect((await me(accessToken)).status).toBe(200);
    t.clock.advance(2);
    await expectRefused(await me(accessToken), "token_expired");
  });

  it("refuses a cached token once its session is revoked", async () => {
    expect((await me(accessToken)).status).toBe(200);
    await alice.post(ROUTES.logout);
    await expectRefused(await me(accessToken), "session_revoked");
  });

  it("answers bearer requests made at once each from its own session: a revoked one among live ones is refused", async () => {
    // On PostgreSQL the session reads asked for in one event-loop turn go as one statement.
    const bob = t.browser();
    const bobToken = (await bob.signUp("bob")).accessToken;
    const carolToken = (await t.browser().signUp("carol")).accessToken;
    // Verified once each, so that the reads below are asked for in the same turn.
    for (const token of [accessToken, bobToken, carolToken]) expect((await me(token)).status).toBe(200);
    await bob.post(ROUTES.logout);
    const answers = await Promise.all([me(accessToken), me(bobToken), me(carolToken), me(accessToken)]);
    expect(answers.map((response) => response.status)).toEqual([200, 401, 200, 200]);
    expect((await json(answers[1]!)).error.code).toBe("session_revoked");
    expect(await Promise.all([answers[0]!, answers[2]!, answers[3]!].map(async (response) => (await json(response)).username))).toEqual([
      "alice",
      "carol",
      "alice",
    ]);
  });

  it("refuses alg none", async () => {
    const claims = decodeJwt(accessToken);
    const unsigned = new UnsecuredJWT(claims).encode();
    await expectRefused(await me(unsigned), "token_invalid");
  });

  it("refuses HS256 signed with the public key as the HMAC secret", async () => {
    const jwk = t.keys.jwks.keys[0]!;
    const header = b64({ alg: "HS256", typ: "at+jwt", kid: jwk.kid });
    const payload = b64(decodeJwt(accessToken));
    for (const secret of [JSON.stringify(jwk), Buffer.from(jwk.x!, "base64url")]) {
      const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
      await expectRefused(await me(`${header}.${payload}.${signature}`), "token_invalid");
    }
  });

  it("refuses a token whose payload was tampered with", async () => {
    const [header, , signature] = accessToken.split(".");
    const payload = b64({ ...decodeJwt(accessToken), role: "admin" });
    await expectRefused(await me(`${header}.${payload}.${signature}`), "token_invalid");
  });

  it("refuses a token signed by a key we did not publish, whatever its headers say", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const claims = decodeJwt(accessToken);
    const attempts = [
      { alg: "ES256", typ: "at+jwt", kid: t.keys.current.kid },
      { alg: "ES256", typ: "at+jwt", kid: "unknown" },
      { alg: "ES256", typ: "at+jwt", jku: "https://evil.example/jwks.json", kid: "evil" },
      { alg: "ES256", typ: "at+jwt", jwk: publicKey.export({ format: "jwk" }) },
    ];
    for (const header of attempts) {
      const forged = await new SignJWT(claims).setProtectedHeader(header).sign(privateKey);
      await expectRefused(await me(forged), "token_invalid");
    }
  });

  it("refuses a token for another audience, another issuer, or of another type", async () => {
    const { payload } = { payload: decodeJwt(accessToken) };
    const sign = (claims: object, typ = "at+jwt") =>
      new SignJWT({ ...payload, ...claims }).setProtectedHeader({ alg: "ES256", typ, kid: t.keys.current.kid }).sign(t.keys.current.privateKey);
    await expectRefused(await me(await sign({ aud: "https://other.example" })), "token_invalid");
    await expectRefused(await me(await sign({ iss: "https://other.example" })), "token_invalid");
    await expectRefused(await me(await sign({}, "JWT")), "token_invalid");
    const { sid: _sid, ...withoutSid } = payload;
    const noSid = await new SignJWT(withoutSid).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: t.keys.current.kid }).sign(t.keys.current.privateKey);
    await expectRefused(await me(noSid), "token_invalid");
  });

  it("refuses a token issued in the future", async () => {
    const future = Math.floor(t.clock.now().getTime() / 1000) + 3600;
    const token = await new SignJWT({ ...decodeJwt(accessToken), iat: future, exp: future + 600 })
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: t.keys.current.kid })
      .sign(t.keys.current.privateKey);
    await expectRefused(await me(token), "token_invalid");
  });

  it("refuses the refresh token used as a bearer token", async () => {
    await expectRefused(await me(alice.refreshCookie!), "token_invalid");
  });

  it.each(["Basic abc", "Bearer", "Bearer a b", "bearer"])("refuses the Authorization header %j", async (header) => {
    const response = await alice.get(ROUTES.me, { headers: { authorization: header } });
    expect(response.status).toBe(401);
  });
});

describe("discovery", () => {
  it("answers /healthz", async () => {
    expect(await json(await alice.get(ROUTES.health))).toEqual({ status: "ok" });
  });

  it("keeps the signing key across restarts and stores its private part only encrypted", async () => {
    const row = ((await t.db.rows("signing_keys")) as { private_jwk_encrypted: string; public_jwk: string }[])[0]!;
    expect(row.private_jwk_encrypted.split(".")).toHaveLength(5); // compact JWE
    expect(row.private_jwk_encrypted).not.toContain('"d"');
    expect(JSON.parse(row.public_jwk)).not.toHaveProperty("d");
  });
});

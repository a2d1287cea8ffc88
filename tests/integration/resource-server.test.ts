// examples/resource-server with verifier/: a separate service that trusts only the platform's
// JWKS, fetched over real HTTP from the platform served on a localhost port.
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createResourceServer } from "../../examples/resource-server/app.ts";
import { createTokenVerifier } from "../../verifier/index.ts";
import { createTestApp, json, TEST_ORIGIN, type TestApp } from "../helpers/harness.ts";

let t: TestApp;
let listening: ServerType;
let jwksUri: string;

beforeEach(async () => {
  t = await createTestApp({}, { admins: ["root"] });
  listening = await new Promise<ServerType>((resolve) => {
    const server = serve({ fetch: t.app.fetch, hostname: "localhost", port: 0 }, () => resolve(server));
  });
  jwksUri = `http://localhost:${(listening.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterEach(async () => {
  await new Promise((resolve) => listening.close(resolve));
  await t.close();
});

/** The example service, trusting our issuer, on the platform's (test) clock. */
function resourceServer(options: { now?: () => Date } = {}) {
  return createResourceServer({ issuer: TEST_ORIGIN, jwksUri, refetchCooldownMs: 0, now: options.now ?? (() => t.clock.now()) });
}

const get = (app: ReturnType<typeof resourceServer>, path: string, token?: string) =>
  app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("the example resource server", () => {
  it("accepts a token minted by a passkey sign-in, and gives its claims", async () => {
    const { accessToken, user } = await t.browser().signUp("alice");
    const response = await get(resourceServer(), "/me", accessToken);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ userId: user.id, role: "user", sessionId: expect.any(String) });
  });

  it("lets only the admin role through its admin route", async () => {
    const app = resourceServer();
    const user = (await t.browser().signUp("alice")).accessToken;
    const admin = (await t.browser().signUp("root")).accessToken;
    const refused = await get(app, "/admin/report", user);
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.code).toBe("forbidden");
    expect((await get(app, "/admin/report", admin)).status).toBe(200);
  });

  it("refuses no token, and a token from another issuer (another instance of the platform)", async () => {
    const app = resourceServer();
    const missing = await get(app, "/me");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect((await json(missing)).error.code).toBe("token_missing");
    const other = await createTestApp({ ORIGIN: "http://localhost:3001" });
    const foreign = (await other.browser().signUp("mallory")).accessToken;
    await other.close();
    const response = await get(app, "/me", foreign);
    expect(response.status).toBe(401);
    expect((await json(response)).error.code).toBe("token_invalid");
  });

  it("refuses an expired token", async () => {
    const { accessToken } = await t.browser().signUp("alice");
    t.clock.advance(t.config.accessTokenTtlSeconds + 6); // past exp and the 5 s tolerance
    const response = await get(resourceServer(), "/me", accessToken);
    expect(response.status).toBe(401);
    expect((await json(response)).error.code).toBe("token_expired");
  });

  it("follows a key rotation, and refuses a token whose key was retired past its expiry", async () => {
    const app = resourceServer();
    const alice = t.browser();
    const before = (await alice.signUp("alice")).accessToken;
    const issuedAt = t.clock.now();
    expect((await get(app, "/me", before)).status).toBe(200); // the JWKS is now cached
    await t.keys.rotate();
    const after = (await json(await alice.refresh())).accessToken;
    expect((await get(app, "/me", after)).status).toBe(200); // unknown kid: the JWKS is fetched again
    expect((await get(app, "/me", before)).status).toBe(200); // the retired key is still published

    t.clock.advance(t.config.accessTokenTtlSeconds + 1);
    await t.keys.refresh();
    // Even a service whose clock lags so far that the old token looks fresh refuses it: its key is gone.
    const lagging = resourceServer({ now: () => issuedAt });
    const response = await get(lagging, "/me", before);
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({ error: { code: "token_invalid", message: "The token was signed with a key the issuer does not publish." } });
  });

  it("answers 503 jwks_unavailable when the issuer's keys cannot be fetched", async () => {
    const { accessToken } = await t.browser().signUp("alice");
    const verifier = createTokenVerifier({ issuer: TEST_ORIGIN, jwksUri: "http://localhost:9/.well-known/jwks.json", now: () => t.clock.now() });
    const result = await verifier.verify(`Bearer ${accessToken}`);
    expect(result).toMatchObject({ ok: false, error: { code: "jwks_unavailable", status: 503 } });
  });
});

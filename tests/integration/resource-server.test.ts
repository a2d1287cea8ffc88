// examples/resource-server with verifier/: a separate service that trusts only the platform's
// JWKS, fetched over real HTTP from the platform served on a localhost port.
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createResourceServer } from "../../examples/resource-server/app.ts";
import { createTokenVerifier } from "../../verifier/index.ts";
import { ROUTES } from "../../shared/routes.ts";
import { createTestApp, json, TEST_ORIGIN, type TestApp, type TestBrowser } from "../helpers/harness.ts";

/** The example service's identifier (RFC 8707), and another registered service's. */
const REPORTS = "https://reports.example";
const BILLING = "https://billing.example";

let t: TestApp;
let listening: ServerType;
let jwksUri: string;

beforeEach(async () => {
  t = await createTestApp({ RESOURCES: `${REPORTS},${BILLING}` }, { admins: ["root"] });
  listening = await new Promise<ServerType>((resolve) => {
    const server = serve({ fetch: t.app.fetch, hostname: "localhost", port: 0 }, () => resolve(server));
  });
  jwksUri = `http://localhost:${(listening.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterEach(async () => {
  await new Promise((resolve) => listening.close(resolve));
  await t.close();
});

/** The example service, trusting our issuer for tokens meant for it, on the platform's (test) clock. */
function resourceServer(options: { now?: () => Date; audience?: string } = {}) {
  return createResourceServer({
    issuer: TEST_ORIGIN,
    audience: options.audience ?? REPORTS,
    jwksUri,
    refetchCooldownMs: 0,
    now: options.now ?? (() => t.clock.now()),
  });
}

/** Signs `username` up, then asks a refresh for a token meant for `resource` (RFC 8707). */
async function tokenFor(username: string, resource = REPORTS): Promise<{ accessToken: string; browser: TestBrowser; userId: string }> {
  const browser = t.browser();
  const { user } = await browser.signUp(username);
  return { accessToken: await refreshFor(browser, resource), browser, userId: user.id };
}

async function refreshFor(browser: TestBrowser, resource = REPORTS): Promise<string> {
  const response = await browser.post(ROUTES.refresh, { body: { resource } });
  expect(response.status).toBe(200);
  return (await json(response)).accessToken as string;
}

const get = (app: ReturnType<typeof resourceServer>, path: string, token?: string) =>
  app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("the example resource server", () => {
  it("accepts a token minted by a passkey sign-in, and gives its claims", async () => {
    const { accessToken, userId } = await tokenFor("alice");
    const response = await get(resourceServer(), "/me", accessToken);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ userId, role: "user", sessionId: expect.any(String) });
  });

  it("gives each service its own audience: a token for one is refused by another service and by the platform's API (finding 4)", async () => {
    const { accessToken: forReports, browser } = await tokenFor("alice");
    const forBilling = await refreshFor(browser, BILLING);
    const forPlatform = (await json(await browser.refresh())).accessToken as string;
    const reports = resourceServer();
    expect((await get(reports, "/me", forReports)).status).toBe(200);
    for (const wrong of [forBilling, forPlatform]) {
      const refused = await get(reports, "/me", wrong);
      expect(refused.status).toBe(401);
      expect((await json(refused)).error.code).toBe("token_invalid");
    }
    expect((await get(resourceServer({ audience: BILLING }), "/me", forBilling)).status).toBe(200);
    // The platform's own API takes only its own.
    const api = await browser.get(ROUTES.me, { bearer: forReports });
    expect(api.status).toBe(401);
    expect((await json(api)).error.code).toBe("token_invalid");
    expect((await browser.get(ROUTES.me, { bearer: forPlatform })).status).toBe(200);
  });

  it("refuses a resource the operator did not register, before rotating anything", async () => {
    const browser = t.browser();
    await browser.signUp("alice");
    const cookie = browser.refreshCookie;
    const refused = await browser.post(ROUTES.refresh, { body: { resource: "https://evil.example" } });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.code).toBe("invalid_target");
    expect(refused.headers.getSetCookie()).toEqual([]);
    expect(browser.refreshCookie).toBe(cookie);
    expect((await browser.refresh()).status).toBe(200); // the session is untouched
  });

  it("lets only the admin role through its admin route", async () => {
    const app = resourceServer();
    const user = (await tokenFor("alice")).accessToken;
    const admin = (await tokenFor("root")).accessToken;
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
    const other = await createTestApp({ ORIGIN: "http://localhost:3001", RESOURCES: REPORTS });
    const mallory = other.browser();
    await mallory.signUp("mallory");
    const foreign = (await json(await mallory.post(ROUTES.refresh, { body: { resource: REPORTS } }))).accessToken;
    await other.close();
    const response = await get(app, "/me", foreign);
    expect(response.status).toBe(401);
    expect((await json(response)).error.code).toBe("token_invalid");
  });

  it("refuses an expired token", async () => {
    const { accessToken } = await tokenFor("alice");
    t.clock.advance(t.config.accessTokenTtlSeconds + 6); // past exp and the 5 s tolerance
    const response = await get(resourceServer(), "/me", accessToken);
    expect(response.status).toBe(401);
    expect((await json(response)).error.code).toBe("token_expired");
  });

  it("follows a key rotation, and refuses a token whose key was retired past its expiry", async () => {
    const app = resourceServer();
    const { accessToken: before, browser: alice } = await tokenFor("alice");
    const issuedAt = t.clock.now();
    expect((await get(app, "/me", before)).status).toBe(200); // the JWKS is now cached
    await t.keys.rotate();
    const after = await refreshFor(alice);
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
    const { accessToken } = await tokenFor("alice");
    const verifier = createTokenVerifier({
      issuer: TEST_ORIGIN,
      audience: REPORTS,
      jwksUri: "http://localhost:9/.well-known/jwks.json",
      now: () => t.clock.now(),
    });
    const result = await verifier.verify(`Bearer ${accessToken}`);
    expect(result).toMatchObject({ ok: false, error: { code: "jwks_unavailable", status: 503 } });
  });
});

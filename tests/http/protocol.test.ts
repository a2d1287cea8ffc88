// The HTTP edges every route shares: error shape, unknown routes and methods, body limits, rate
// limits, security headers, and what an internal failure shows.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { afterEach, describe, expect, it } from "vitest";
import { OPERATIONS } from "../../shared/api.ts";
import { REFRESH_COOKIE_NAME, ROUTES } from "../../shared/routes.ts";
import { createTestApp, json, tableCounts, type TestApp } from "../helpers/harness.ts";

let t: TestApp;
afterEach(() => t.close());

describe("HTTP protocol", () => {
  it("answers an unknown route with 404 not_found in the error shape", async () => {
    t = await createTestApp();
    const response = await t.browser().get("/api/nothing-here");
    expect(response.status).toBe(404);
    expect(await json(response)).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });

  it("answers a wrong method on a known route with 405 method_not_allowed", async () => {
    t = await createTestApp();
    for (const path of [ROUTES.refresh, ROUTES.loginOptions, ROUTES.registerVerify]) {
      const response = await t.browser().get(path);
      expect(response.status).toBe(405);
      expect((await json(response)).error.code).toBe("method_not_allowed");
    }
    expect((await t.browser().post(ROUTES.me)).status).toBe(405);
  });

  it("refuses a body over 64 KiB with 413 body_too_large and stores nothing", async () => {
    t = await createTestApp();
    const before = await tableCounts(t.db);
    const response = await t.browser().post(ROUTES.registerOptions, { body: JSON.stringify({ username: "alice", displayName: "x".repeat(70_000) }) });
    expect(response.status).toBe(413);
    expect((await json(response)).error.code).toBe("body_too_large");
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it("rate-limits /auth/* per client with 429 rate_limited, Retry-After and the limit named", async () => {
    t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "3" });
    const browser = t.browser();
    for (let i = 0; i < 3; i++) expect((await browser.post(ROUTES.loginOptions, { body: {} })).status).toBe(200);
    const limited = await browser.post(ROUTES.loginOptions, { body: {} });
    expect(limited.status).toBe(429);
    expect((await json(limited)).error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit-policy")).toBe('"ip";q=3;w=60');
    expect(limited.headers.get("ratelimit")).toBe(`"ip";r=0;t=${limited.headers.get("retry-after")}`);
    expect((await tableCounts(t.db)).challenges).toBe(3);
    t.clock.advance(60);
    expect((await browser.post(ROUTES.loginOptions, { body: {} })).status).toBe(200);
  });

  it("sends security headers: CSP without inline script, no framing, nosniff, no referrer", async () => {
    t = await createTestApp();
    const response = await t.browser().get(ROUTES.health);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("sends API answers the API set, errors included: a CSP that allows nothing, no framing, nosniff, CORP, HSTS, no referrer", async () => {
    t = await createTestApp();
    const browser = t.browser();
    const { accessToken } = await browser.signUp("alice");
    const answers = [
      await browser.get(ROUTES.me, { bearer: accessToken }),
      await browser.get(ROUTES.me),
      await browser.post(ROUTES.loginOptions, { body: {} }),
    ];
    expect(answers.map((response) => response.status)).toEqual([200, 401, 200]);
    for (const response of answers) {
      expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("cross-origin-resource-policy")).toBe("same-origin");
      expect(response.headers.get("strict-transport-security")).toContain("max-age=");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      // Headers only a rendered page uses are left off.
      expect(response.headers.get("cross-origin-opener-policy")).toBeNull();
      expect(response.headers.get("x-xss-protection")).toBeNull();
    }
  });

  it("sends the same headers served by Node as through app.request(), and an answer's own header wins over the preset one", async () => {
    // The header sets go on Node's response when Node serves the app (presetHeaders), and through
    // Hono's context otherwise: every other test here sees the second way, the server the first.
    t = await createTestApp();
    t.app.get("/api/override-probe", (c) => {
      c.header("Cache-Control", "private, max-age=5");
      return c.json({});
    });
    const browser = t.browser();
    const { accessToken } = await browser.signUp("alice");
    const server = createAdaptorServer({ fetch: t.app.fetch }) as Server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const requests: [string, RequestInit][] = [
        [ROUTES.health, {}],
        [ROUTES.jwks, {}],
        [ROUTES.me, { headers: { authorization: `Bearer ${accessToken}` } }],
        [ROUTES.me, {}],
        [ROUTES.loginOptions, { method: "POST", headers: { "content-type": "application/json", origin: t.config.origins[0]! }, body: "{}" }],
        ["/api/override-probe", {}],
      ];
      const statuses: number[] = [];
      for (const [path, init] of requests) {
        const inProcess = await t.app.request(path, init);
        const overNode = await fetch(`${origin}${path}`, init);
        statuses.push(overNode.status);
        expect(overNode.status).toBe(inProcess.status);
        expect(answerHeaders(overNode)).toEqual(answerHeaders(inProcess));
      }
      expect(statuses).toEqual([200, 200, 200, 401, 200, 200]);
      const probe = await fetch(`${origin}/api/override-probe`);
      expect(probe.headers.get("cache-control")).toBe("private, max-age=5");
      expect(probe.headers.get("x-frame-options")).toBe("DENY");

      // Refresh answers set their cookies on Node's response too (appendHeader): the same cookies
      // with the same attributes both ways, on a rotation and on a refusal that clears them.
      let cookie = browser.refreshCookie!;
      const refresh = (presented: string): RequestInit => ({
        method: "POST",
        headers: { origin: t.config.origins[0]!, cookie: `${REFRESH_COOKIE_NAME}=${presented}` },
      });
      const rotatedBy = (response: Response) =>
        response.headers
          .getSetCookie()[0]!
          .split(";")[0]!
          .slice(REFRESH_COOKIE_NAME.length + 1);
      for (const live of [true, false]) {
        const inProcess = await t.app.request(ROUTES.refresh, refresh(live ? cookie : "unknown-token"));
        if (live) cookie = rotatedBy(inProcess);
        const overNode = await fetch(`${origin}${ROUTES.refresh}`, refresh(live ? cookie : "unknown-token"));
        if (live) cookie = rotatedBy(overNode);
        expect([overNode.status, inProcess.status]).toEqual(live ? [200, 200] : [401, 401]);
        expect(overNode.headers.getSetCookie().map(cookieShape)).toEqual(inProcess.headers.getSetCookie().map(cookieShape));
        expect(overNode.headers.getSetCookie()).toHaveLength(2);
        expect(answerHeaders(overNode)).toEqual(answerHeaders(inProcess));
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("sends Cache-Control: no-store on every token response and API answer, errors included", async () => {
    t = await createTestApp();
    const browser = t.browser();
    const { accessToken } = await browser.signUp("alice");
    const answers = [
      await browser.refresh(),
      await browser.post(ROUTES.loginOptions, { body: {} }),
      await browser.get(ROUTES.me, { bearer: accessToken }),
      await browser.get(ROUTES.me),
      await t.browser().refresh(), // no cookie
    ];
    expect(answers.map((response) => response.status)).toEqual([200, 200, 200, 401, 401]);
    for (const response of answers) expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("answers an internal failure with 500 internal and no details", async () => {
    t = await createTestApp();
    await t.close(); // the database goes away under the app
    const response = await t.browser().post(ROUTES.loginOptions, { body: {} });
    expect(response.status).toBe(500);
    const body = await json(response);
    expect(body).toEqual({ error: { code: "internal", message: "Something went wrong on our side." } });
    expect(t.unexpectedErrors).toHaveLength(1);
    t.close = async () => undefined;
  });
});

describe("cross-site and non-JSON requests", () => {
  const CROSS_SITE = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
  const stateChangingAuthRoutes = Object.values(OPERATIONS)
    .filter((operation) => operation.path.startsWith("/auth/") && operation.method === "post")
    .map((operation) => operation.path);

  it.each(stateChangingAuthRoutes)("refuses a cross-site POST %s with 403 csrf_rejected, changing nothing", async (path) => {
    t = await createTestApp();
    const before = await tableCounts(t.db);
    const response = await t.browser().post(path, { body: {}, headers: CROSS_SITE });
    expect(response.status).toBe(403);
    expect((await json(response)).error.code).toBe("csrf_rejected");
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it("refuses a sign-in posted by another site's text/plain form (login CSRF) and sets no cookie", async () => {
    t = await createTestApp();
    // The attacker's own account and passkey, signed for a challenge of their own.
    const attacker = t.browser();
    await attacker.signUp("mallory");
    const options = await json(await attacker.post(ROUTES.loginOptions, { body: {} }));
    const assertion = await attacker.authenticator.authenticate(options);
    const victim = t.browser();
    const response = await victim.post(ROUTES.loginVerify, { body: JSON.stringify(assertion), headers: { ...CROSS_SITE, "content-type": "text/plain" } });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(victim.refreshCookie).toBeUndefined();
  });

  it("refuses a JSON route's body sent as text/plain with 415 unsupported_media_type, changing nothing", async () => {
    t = await createTestApp();
    const before = await tableCounts(t.db);
    const response = await t.browser().post(ROUTES.registerOptions, { body: JSON.stringify({ username: "alice" }), headers: { "content-type": "text/plain" } });
    expect(response.status).toBe(415);
    expect((await json(response)).error.code).toBe("unsupported_media_type");
    expect(await tableCounts(t.db)).toEqual(before);
  });
});

/** A Set-Cookie header without its value and Max-Age: what two answers setting the same cookie share. */
const cookieShape = (header: string) => header.replace(/^([^=]+)=[^;]*/, "$1=(value)").replace(/Max-Age=\d+/i, "Max-Age=(n)");

/** An answer's headers but those of the connection (Node adds them) and the request id's value (new each time). */
function answerHeaders(response: Response): Record<string, string> {
  // Set-Cookie is compared apart, by cookieShape: its values differ from answer to answer.
  const transport = new Set(["connection", "content-length", "date", "keep-alive", "transfer-encoding", "set-cookie"]);
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !transport.has(name)));
  expect(headers["x-request-id"]).toMatch(/^[\w.:-]{1,64}$/);
  return { ...headers, "x-request-id": "(any)" };
}

// What an operator relies on: JSON logs that never hold a secret, request ids, Prometheus
// metrics that count what happens, and a SIGTERM that lets in-flight requests finish.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { request } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROUTES } from "../../shared/routes.ts";
import { WEB_ROOT } from "../../server/paths.ts";
import { purgeExpired } from "../../server/maintenance.ts";
import { createTestApp, json, sampleMetric, TEST_KEY_ENCRYPTION_SECRET, tableCounts, type TestApp } from "../helpers/harness.ts";
import { SoftwareAuthenticator } from "../../tools/authenticator.ts";
import { HttpClient } from "../../tools/http-client.ts";
import { startServer, type ServerProcess } from "../../tools/server-process.ts";
import { grantAdminWithCli } from "../helpers/admins.ts";

let t: TestApp | undefined;
let server: ServerProcess | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await server?.stop();
  server = undefined;
});

describe("structured logs", () => {
  it("writes one JSON line per request with id, route pattern, status and latency, and never a token, cookie or code", async () => {
    t = await createTestApp();
    const browser = t.browser();
    const signUp = await json(
      await browser.post(ROUTES.registerVerify, {
        body: await browser.authenticator.register(await json(await browser.post(ROUTES.registerOptions, { body: { username: "alice" } }))),
      }),
    );
    const secrets: string[] = [signUp.accessToken, ...signUp.recoveryCodes, browser.refreshCookie!];
    const refreshed = await json(await browser.refresh());
    secrets.push(refreshed.accessToken, browser.refreshCookie!);
    await browser.get(ROUTES.me, { bearer: refreshed.accessToken });
    const signedIn = await browser.signIn();
    secrets.push(signedIn.accessToken, browser.refreshCookie!);
    await browser.get(ROUTES.passkeys, { bearer: signedIn.accessToken });
    await browser.post(ROUTES.recover, { body: { username: "alice", code: signUp.recoveryCodes[0] } });
    await browser.get(ROUTES.me, { bearer: `${signedIn.accessToken}x` });
    await browser.post(ROUTES.logout);

    const lines = t.logs.map((entry) => JSON.stringify(entry));
    const requests = t.logs.filter((entry) => entry.msg === "request");
    expect(requests).toHaveLength(10);
    for (const entry of requests) {
      expect(entry).toEqual({
        level: "info",
        msg: "request",
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        method: expect.any(String),
        route: expect.stringMatching(/^\/[\w/.:-]*$/),
        status: expect.any(Number),
        ms: expect.any(Number),
        ip: null,
      });
    }
    expect(requests.map((entry) => entry.route)).toContain(ROUTES.passkeys);
    for (const secret of secrets) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
  });

  it("labels each request with the route that answered, also when the web app (whose assets match any GET) is served", async () => {
    t = await createTestApp({}, { webRoot: WEB_ROOT });
    const browser = t.browser();
    const { accessToken } = await browser.signUp("alice");
    await browser.get(ROUTES.me, { bearer: accessToken });
    await browser.get(ROUTES.me); // refused by requireUser: still the route it was for
    await browser.get(ROUTES.adminUsers, { bearer: accessToken }); // refused by the admin middleware
    await browser.get(ROUTES.jwks);
    await browser.get("/signin");
    const routes = t.logs.filter((entry) => entry.msg === "request").map((entry) => `${entry.method} ${entry.route} ${entry.status}`);
    expect(routes.slice(-5)).toEqual(["GET /api/me 200", "GET /api/me 401", "GET /api/admin/users 403", "GET /.well-known/jwks.json 200", "GET /signin 200"]);
  });

  it("logs an unexpected failure at error level with its request id, and answers without details", async () => {
    t = await createTestApp();
    await t.close(); // the database goes away under the app
    const response = await t.browser().post(ROUTES.loginOptions, { body: {}, headers: { "x-request-id": "trace-42" } });
    expect(response.status).toBe(500);
    expect(response.headers.get("x-request-id")).toBe("trace-42");
    const failure = t.logs.find((entry) => entry.msg === "unhandled error")!;
    expect(failure).toMatchObject({ level: "error", requestId: "trace-42", error: expect.stringContaining("database") });
    expect(t.logs.find((entry) => entry.msg === "request")).toMatchObject({ level: "error", status: 500, requestId: "trace-42" });
    t.close = async () => undefined;
  });

  it("keeps a sane X-Request-Id from the client and replaces anything else", async () => {
    t = await createTestApp();
    const kept = await t.browser().get(ROUTES.health, { headers: { "x-request-id": "abc-123.x" } });
    expect(kept.headers.get("x-request-id")).toBe("abc-123.x");
    const replaced = await t.browser().get(ROUTES.health, { headers: { "x-request-id": 'a b"<script>' } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("Prometheus metrics at /metrics", () => {
  it("counts sign-ins, failures by reason, refreshes, reuse, live sessions and requests by route", async () => {
    t = await createTestApp();
    const browser = t.browser();
    await browser.signUp("alice");
    expect(await sampleMetric(t, 'auth_sign_ins_total{ceremony="registration"}')).toBe(1);
    expect(await sampleMetric(t, 'auth_sign_ins_total{ceremony="authentication"}')).toBe(0);
    await browser.signIn();
    expect(await sampleMetric(t, 'auth_sign_ins_total{ceremony="authentication"}')).toBe(1);

    const options = await json(await browser.post(ROUTES.loginOptions, { body: {} }));
    const assertion = await browser.authenticator.authenticate(options);
    await browser.post(ROUTES.loginVerify, { body: assertion });
    await browser.post(ROUTES.loginVerify, { body: assertion }); // replay
    expect(await sampleMetric(t, 'auth_sign_in_failures_total{reason="challenge_not_found"}')).toBe(1);
    t.clock.advance(60); // the live-session gauge is recounted at most once a minute
    expect(await sampleMetric(t, "auth_active_sessions")).toBe(3);

    const stale = browser.refreshCookie;
    await browser.refresh();
    await browser.refresh();
    expect(await sampleMetric(t, "auth_refreshes_total")).toBe(2);
    browser.refreshCookie = stale;
    expect((await browser.refresh()).status).toBe(401);
    expect(await sampleMetric(t, "auth_refresh_reuse_detected_total")).toBe(1);
    t.clock.advance(60); // the live-session gauge is recounted at most once a minute
    expect(await sampleMetric(t, "auth_active_sessions")).toBe(2);
    expect(await sampleMetric(t, 'http_requests_total{method="POST",route="/auth/login/verify",status="400"}')).toBe(1);
    expect(await sampleMetric(t, 'http_request_duration_seconds_count{method="POST",route="/auth/login/verify"}')).toBe(3);
  });

  it("recounts live sessions at most once a minute, whatever the scrape rate", async () => {
    t = await createTestApp();
    const browser = t.browser();
    await browser.signUp("alice");
    expect(await sampleMetric(t, "auth_active_sessions")).toBe(1);
    await browser.signIn();
    expect(await sampleMetric(t, "auth_active_sessions")).toBe(1); // the same minute: no new scan
    t.clock.advance(60);
    expect(await sampleMetric(t, "auth_active_sessions")).toBe(2);
  });

  it("is not found on a listener beyond this machine unless METRICS_TOKEN is set", async () => {
    t = await createTestApp({ HOST: "0.0.0.0" });
    const hidden = await t.app.request(ROUTES.metrics);
    expect(hidden.status).toBe(404);
    expect((await json(hidden)).error.code).toBe("not_found");
    await t.close();
    t = await createTestApp({ HOST: "0.0.0.0", METRICS_TOKEN: "scrape-secret-0123456789" });
    expect((await t.app.request(ROUTES.metrics, { headers: { authorization: "Bearer scrape-secret-0123456789" } })).status).toBe(200);
  });

  it("needs METRICS_TOKEN as a bearer when it is set", async () => {
    t = await createTestApp({ METRICS_TOKEN: "scrape-secret-0123456789" });
    expect((await t.app.request(ROUTES.metrics)).status).toBe(401);
    expect((await t.app.request(ROUTES.metrics, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const scraped = await t.app.request(ROUTES.metrics, { headers: { authorization: "Bearer scrape-secret-0123456789" } });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get("content-type")).toContain("text/plain");
  });
});

describe("graceful shutdown", () => {
  /**
   * A sign-in options request whose body arrives in two parts: in flight in between. It asks for
   * "100 Continue" (RFC 9110 §10.1.1), which Node's server sends once it has parsed the headers,
   * so `headersRead` says the server holds the request, not merely the connection.
   */
  function slowRequest(origin: string) {
    const body = JSON.stringify({ username: "someone" });
    let sendRest!: () => void;
    let headersRead!: Promise<void>;
    const answered = new Promise<{ status: number; body: string } | string>((resolve) => {
      const req = request(new URL(ROUTES.loginOptions, origin), {
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", "content-length": String(body.length), origin, expect: "100-continue" },
      });
      headersRead = new Promise((continued) => req.once("continue", () => continued()));
      req.on("response", (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, body: text }));
      });
      req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      req.flushHeaders();
      req.write(body.slice(0, 5));
      sendRest = () => req.end(body.slice(5));
    });
    return { answered, headersRead, sendRest: () => sendRest() };
  }

  it("on SIGTERM refuses new connections, finishes the request in flight, closes the database and exits 0", async () => {
    server = await startServer();
    const inFlight = slowRequest(server.origin);
    await inFlight.headersRead; // the server has the request and waits for its body
    const exited = server.terminate();
    await server.waitForOutput('"msg":"stopping'); // written in the same turn as the listener closes
    const late = await fetch(new URL(ROUTES.health, server.origin)).then(
      (r) => r.status,
      (error: { cause?: { code?: string } }) => error.cause?.code,
    );
    expect(late).toBe("ECONNREFUSED");

    inFlight.sendRest();
    const answer = await inFlight.answered;
    expect(answer).toMatchObject({ status: 200 });
    expect(JSON.parse((answer as { body: string }).body)).toHaveProperty("challenge");
    expect(await exited).toBe(0);

    const log = server
      .output()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string });
    expect(log[0]!.msg).toBe("listening");
    expect(log.slice(-3).map((entry) => entry.msg)).toEqual(["stopping: finishing in-flight requests", "request", "stopped"]);
    // Closing the last connection checkpoints the WAL into the database file and removes it.
    const wal = join(server.dataDir, "auth.db-wal");
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
  });
});

describe("purging what has ended (finding 5)", () => {
  const DAY = 86_400;

  it("deletes ended sessions with their refresh tokens and audit events past AUDIT_RETENTION_DAYS, and nothing live", async () => {
    t = await createTestApp({ AUDIT_RETENTION_DAYS: "40" });
    const old = t.browser();
    await old.signUp("old"); // a session of 30 days (SESSION_MAX_AGE) and its events, written now
    t.clock.advance(20 * DAY);
    await t.browser().signUp("recent"); // live through the purge below
    t.clock.advance(21 * DAY); // "old"'s session ended 11 days ago; its events are 41 days old
    const events = (await t.db.rows("audit_events")).length;
    const purged = await purgeExpired(t);
    expect(purged).toMatchObject({ sessions: 1, auditEvents: events - (await eventsOf("recent")) });
    const after = await tableCounts(t.db);
    expect([after.sessions, after.refresh_tokens]).toEqual([1, 1]);
    expect(await eventsOf("old")).toBe(0);
    expect((await t.browser().post(ROUTES.refresh, {})).status).toBe(401); // nothing to refresh without a cookie, as ever
    expect((await old.refresh()).status).toBe(401); // the purged session's token is simply unknown now
  });

  it("runs on its schedule in a started server: the first run at start, logged with what it removed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "purge-"));
    const databaseUrl = `file:${join(dir, "auth.db")}`;
    const seeded = await createTestApp({ DATABASE_URL: databaseUrl }, { clockStart: new Date(Date.now() - 31 * DAY * 1000) });
    await seeded.browser().signUp("gone"); // its session ended a day ago by the real clock
    await seeded.close();
    server = await startServer({ DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: TEST_KEY_ENCRYPTION_SECRET });
    await server.waitForOutput("purged ended rows");
    const line = server
      .output()
      .split("\n")
      .find((l) => l.includes("purged ended rows"))!;
    expect(JSON.parse(line)).toMatchObject({ level: "info", sessions: 1, auditEvents: 0 });
    await server.stop();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function eventsOf(username: string) {
    const user = await t!.store.users.findByUsername(username);
    return (await t!.store.audit.list({ userId: user!.id, limit: 100 })).length;
  }
});

describe("the first admin", () => {
  it("is explained in the log at start while there is none, and no longer once `npm run admin -- grant` made one", async () => {
    server = await startServer();
    await server.waitForOutput("no admin yet");
    expect(server.output()).toContain("npm run admin -- grant <username>");
    const database = join(server.dataDir, "auth.db");
    const client = new HttpClient(new URL(server.origin));
    const authenticator = new SoftwareAuthenticator({ origin: server.origin });
    const options = await client.post(ROUTES.registerOptions, { body: { username: "first" } });
    expect((await client.post(ROUTES.registerVerify, { body: await authenticator.register(options.body) })).status).toBe(200);
    await server.terminate();
    await grantAdminWithCli(database, "first");
    const again = await startServer({ DATABASE_URL: `file:${database}` });
    try {
      await again.waitForOutput('"msg":"listening"');
      await new Promise((resolve) => setImmediate(resolve));
      expect((await fetch(`${again.origin}${ROUTES.health}`)).status).toBe(200); // past start-up: its log is written
      expect(again.output()).not.toContain("no admin yet");
    } finally {
      await again.stop();
    }
  });
});

// A refresh whose answer never arrives (issue 12, finding 14): the server commits the rotation and
// is killed before it answers. The page must retry inside the grace period, get the successor the
// lost answer carried, and stay signed in, with no reuse alarm and no session revoked.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecretToken } from "../../server/auth/secrets.ts";
import { REFRESH_COOKIE_NAME, ROUTES } from "../../shared/routes.ts";
import { startServer, type ServerProcess } from "../../tools/server-process.ts";
import { type BrowserSession, launchChromium, pageWithAuthenticator } from "../helpers/chromium.ts";
import { accountLoaded, goInApp, signUpInBrowser } from "../helpers/web-flows.ts";

/**
 * The browser's origin: a front that passes requests to the current server process, answers 502
 * while there is none (as a load balancer would), and, when armed, kills the server with SIGKILL
 * the moment the answer to a refresh starts to arrive (the rotation is committed by then) and
 * drops the browser's connection without a byte.
 */
class Front {
  upstream: ServerProcess | null = null;
  killNextRefresh = false;
  readonly killed: Promise<void>;
  private markKilled!: () => void;
  private readonly server: Server;

  constructor() {
    this.killed = new Promise((resolve) => {
      this.markKilled = resolve;
    });
    this.server = createServer((req, res) => {
      const upstream = this.upstream;
      if (!upstream) return void res.writeHead(502).end();
      const target = new URL(upstream.origin);
      const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        if (this.killNextRefresh && req.url === ROUTES.refresh && answer.statusCode === 200) {
          this.killNextRefresh = false;
          this.upstream = null;
          req.socket.destroy();
          void upstream.kill().then(this.markKilled);
          return;
        }
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      forward.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
      req.pipe(forward);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "localhost", resolve));
    return `http://localhost:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let front: Front;
let origin: string;
let browser: BrowserSession;
const servers: ServerProcess[] = [];

async function startBehind(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer({ ORIGIN: origin, ...env });
  servers.push(server);
  front.upstream = server;
  return server;
}

beforeAll(async () => {
  front = new Front();
  origin = await front.listen();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await front?.close();
  for (const server of servers) await server.stop();
});

describe("a refresh whose answer is lost", () => {
  it("retries when the server is killed mid-refresh, gets the lost answer's successor from the restarted server, and stays signed in with no reuse", async () => {
    const first = await startBehind({});
    const database = join(first.dataDir, "auth.db");
    const tab = await pageWithAuthenticator(browser.context);
    const pageErrors: string[] = [];
    tab.page.on("pageerror", (error) => pageErrors.push(error.message));
    await signUpInBrowser(tab.page, origin, { username: "alice" });
    await accountLoaded(tab.page);

    // Arm the front, then press the flow page's "Refresh now": the rotation commits, the server
    // dies, no answer.
    await goInApp(tab.page, "/flow");
    await tab.page.waitForSelector("#refresh-now");
    front.killNextRefresh = true;
    const refreshed = tab.page.waitForResponse((response) => response.url().endsWith(ROUTES.refresh) && response.status() === 200, { timeout: 15_000 });
    await tab.page.click("#refresh-now");
    await front.killed;
    // The same database and secret, as a restarted instance would have.
    await startBehind({ DATABASE_URL: `file:${database}` });
    await refreshed;

    const cookie = (await browser.context.cookies(origin)).find((c) => c.name === REFRESH_COOKIE_NAME)!.value;
    const db = new Database(database, { readonly: true });
    try {
      const token = db.prepare("SELECT used_at FROM refresh_tokens WHERE token_hash = ?").get(hashSecretToken(cookie)) as { used_at: number | null };
      expect(token.used_at).toBeNull(); // the browser holds the live successor, not the rotated token
      const events = (db.prepare("SELECT type, detail FROM audit_events ORDER BY id").all() as { type: string; detail: string | null }[]).map(
        (event) => `${event.type}${event.detail?.includes("retryOf") ? " (retry)" : ""}`,
      );
      expect(events).not.toContain("refresh_token_reused");
      expect(events.slice(-2)).toEqual(["token_refreshed", "token_refreshed (retry)"]);
      expect(db.prepare("SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }

    // Still signed in on a fresh page load, which refreshes with that cookie.
    await tab.page.goto(`${origin}/account`);
    await accountLoaded(tab.page);
    expect(await tab.page.textContent("#profile-username")).toContain("alice");
    expect(pageErrors).toEqual([]);
  });
});

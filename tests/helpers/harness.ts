// The real app on in-memory SQLite with a test clock, plus a cookie-keeping client and the
// sign-up / sign-in flows most tests start from.
import type { Hono } from "hono";
import { inject } from "vitest";
import { createApp } from "../../server/app.ts";
import type { AppEnv } from "../../server/app-env.ts";
import { loadServerKeys, type ServerKeys } from "../../server/auth/signing-keys.ts";
import { loadConfig, type Config } from "../../server/config.ts";
import type { LogEntry } from "../../server/logger.ts";
import { openStore } from "../../server/db/open-store.ts";
import type { Store } from "../../server/db/store.ts";
import { REFRESH_COOKIE_NAME, ROUTES } from "../../shared/routes.ts";
import type { TokenResponse } from "../../shared/schemas.ts";
import { SoftwareAuthenticator, type Forgery } from "../../tools/authenticator.ts";
import { createDatabase } from "../../tools/postgres-server.ts";
import { grantAdmin } from "./admins.ts";
import { createTestClock, type TestClock } from "./clock.ts";
import { postgresTestDatabase, sqliteTestDatabase, type TestDatabase } from "./test-database.ts";

export const TEST_ORIGIN = "http://localhost:3000";
export const TEST_KEY_ENCRYPTION_SECRET = "test-only-key-encryption-secret-0123456789";

export interface TestApp {
  app: Hono<AppEnv>;
  config: Config;
  store: Store;
  clock: TestClock;
  keys: ServerKeys;
  /** The tables beneath the API, on whichever engine this run uses. */
  db: TestDatabase;
  /** Errors the app reported as unexpected (a 500): tests assert this stays empty. */
  unexpectedErrors: unknown[];
  /** Every log line the app wrote. */
  logs: LogEntry[];
  browser(options?: { origin?: string }): TestBrowser;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Serve this built web app too (browser tests). */
  webRoot?: string;
  /** Where the test clock starts; a fixed day by default. */
  clockStart?: Date;
  /**
   * Usernames made admins right after they sign up, the way an operator does it (as
   * `npm run admin -- grant`: changeAccount from the command line, audited); their sign-up
   * answer is then a refresh's, so the access token says admin too.
   */
  admins?: readonly string[];
}

/** The engine the tests run on: SQLite in memory, or (TEST_DATABASE=postgres) a fresh PostgreSQL database each. */
async function testDatabaseUrl(): Promise<string> {
  if (process.env.TEST_DATABASE !== "postgres") return ":memory:";
  return createDatabase(inject("postgresAdminUrl"), { template: inject("postgresTemplate") });
}

export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: await testDatabaseUrl(),
    KEY_ENCRYPTION_SECRET: TEST_KEY_ENCRYPTION_SECRET,
    RATE_LIMIT_PER_MINUTE: "0",
    RATE_LIMIT_PER_ACCOUNT_PER_MINUTE: "0",
    ORIGIN: TEST_ORIGIN,
    ...env,
  });
  const database = await openStore(config);
  const { store } = database;
  const db = database.sqlite ? sqliteTestDatabase(database.sqlite) : await postgresTestDatabase((config.database as { url: string }).url);
  const clock = createTestClock(options.clockStart);
  const keys = await loadServerKeys({
    store,
    clock,
    keyEncryptionSecret: config.keyEncryptionSecret!,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    rotationIntervalSeconds: config.signingKeyRotationIntervalSeconds,
  });
  const unexpectedErrors: unknown[] = [];
  const logs: LogEntry[] = [];
  const log = (entry: LogEntry) => {
    logs.push(entry);
    if (entry.msg === "unhandled error") unexpectedErrors.push(entry);
  };
  const app = createApp({ config, store, clock, keys, log, webRoot: options.webRoot });
  let closed: Promise<void> | undefined;
  return {
    app,
    config,
    store,
    clock,
    keys,
    db,
    unexpectedErrors,
    logs,
    browser: (browserOptions = {}) =>
      new TestBrowser(app, browserOptions.origin ?? config.origins[0]!, async (browser, signedUp) => {
        if (!options.admins?.includes(signedUp.user.username)) return signedUp;
        await grantAdmin({ store, clock }, signedUp.user.username);
        return expectOk(await browser.refresh());
      }),
    // Once: a test that takes the database away mid-test is closed again after it.
    close: () => {
      closed ??= db.close().then(() => database.close());
      return closed;
    },
  };
}

export interface RequestOptions {
  body?: unknown;
  bearer?: string;
  headers?: Record<string, string>;
}

/** A browser-like client: sends Origin and Sec-Fetch-Site, keeps the refresh cookie like a cookie jar. */
export class TestBrowser {
  refreshCookie: string | undefined;
  readonly authenticator: SoftwareAuthenticator;

  constructor(
    private readonly app: Hono<AppEnv>,
    readonly origin: string,
    private readonly afterSignUp: (browser: TestBrowser, signedUp: TokenResponse) => Promise<TokenResponse> = async (_, signedUp) => signedUp,
  ) {
    this.authenticator = new SoftwareAuthenticator({ origin });
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { origin: this.origin, "sec-fetch-site": "same-origin", ...options.headers };
    if (options.body !== undefined) headers["content-type"] ??= "application/json";
    if (this.refreshCookie) headers.cookie = `${REFRESH_COOKIE_NAME}=${this.refreshCookie}`;
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    const response = await this.app.request(path, { method, headers, body });
    this.storeCookie(response);
    return response;
  }

  post(path: string, options: RequestOptions = {}) {
    return this.request("POST", path, options);
  }

  get(path: string, options: RequestOptions = {}) {
    return this.request("GET", path, options);
  }

  private storeCookie(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const [name, value] = pair!.split("=");
      if (name !== REFRESH_COOKIE_NAME) continue;
      this.refreshCookie = /max-age=0/i.test(header) || value === "" ? undefined : value;
    }
  }

  /** Puts this browser's passkeys on `other` too, like a synced passkey on a second device. */
  sharePasskeysWith(other: TestBrowser): void {
    for (const [id, credential] of this.authenticator.credentials) other.authenticator.credentials.set(id, credential);
  }

  async signUp(username: string, forgery: Forgery = {}): Promise<TokenResponse> {
    const options = await json(await this.post(ROUTES.registerOptions, { body: { username } }));
    const response = await this.post(ROUTES.registerVerify, { body: await this.authenticator.register(options, forgery) });
    return this.afterSignUp(this, await expectOk(response));
  }

  /** Usernameless sign-in with this browser's authenticator (or with a username, using its allowCredentials). */
  async signIn(options: { username?: string } = {}): Promise<TokenResponse> {
    const requestOptions = await json(await this.post(ROUTES.loginOptions, { body: options.username ? { username: options.username } : {} }));
    const response = await this.post(ROUTES.loginVerify, { body: await this.authenticator.authenticate(requestOptions) });
    return expectOk(response);
  }

  /** A step-up with this browser's passkey (POST step-up options, then verify); the verify answer. */
  async stepUp(bearer: string): Promise<Response> {
    const options = await json(await this.post(ROUTES.stepUpOptions, { bearer }));
    return this.post(ROUTES.stepUpVerify, { bearer, body: await this.authenticator.authenticate(options) });
  }

  async refresh(): Promise<Response> {
    return this.post(ROUTES.refresh);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
export async function json(response: Response): Promise<any> {
  return response.json();
}

export async function expectOk(response: Response): Promise<TokenResponse> {
  const body = await response.json();
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${JSON.stringify(body)}`);
  return body as TokenResponse;
}

/** Row counts of the tables bad input must never change. */
export async function tableCounts(db: TestDatabase): Promise<Record<string, number>> {
  const tables = ["users", "passkeys", "challenges", "sessions", "refresh_tokens", "signing_keys"];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = (await db.rows(table)).length; // one connection: one query at a time
  return counts;
}

/** The value of one sample of the app's /metrics (Prometheus text, `name{labels}` as printed), 0 when absent. */
export async function sampleMetric(app: Pick<TestApp, "app">, name: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await app.app.request(ROUTES.metrics, { headers })).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

// Several instances on one PostgreSQL database, as one origin: three real server processes (the
// code `npm start` runs), with requests of one client spread over them as a load balancer would.
// Nothing a client does may depend on which instance answers.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { hashSecretToken } from "../../server/auth/secrets.ts";
import { POSTGRES_MIGRATIONS_FOLDER } from "../../server/paths.ts";
import { type OpenedStore, openStore } from "../../server/db/open-store.ts";
import * as oauth from "openid-client";
import type { Config } from "../../server/config.ts";
import { systemClock } from "../../server/clock.ts";
import { ROUTES } from "../../shared/routes.ts";
import { SoftwareAuthenticator } from "../../tools/authenticator.ts";
import { HttpClient, type SendOptions, type Sent } from "../../tools/http-client.ts";
import { createDatabase } from "../../tools/postgres-server.ts";
import { type ServerProcess, startServer } from "../../tools/server-process.ts";
import { authorizationRequest, discover, registerTestClient, UserAgent } from "../helpers/oidc.ts";

const run = promisify(execFile);
/** The origin the browser sees (the load balancer's): every instance is configured with it. */
const ORIGIN = "http://localhost:8443";
const INSTANCES = 3;

let instances: ServerProcess[];
let env: Record<string, string>;
let observer: OpenedStore;

beforeAll(async () => {
  const url = await createDatabase(inject("postgresAdminUrl"));
  env = { DATABASE_URL: url, KEY_ENCRYPTION_SECRET: "instances-test-secret-0123456789abcdef", ORIGIN, SIGNING_KEY_RELOAD_INTERVAL: "1" };
  // Started together on an empty database: they migrate it and agree on one signing key.
  instances = await Promise.all(Array.from({ length: INSTANCES }, () => startServer(env)));
  observer = await openStore({ database: { engine: "postgres", url } });
}, 60_000);

afterAll(async () => {
  await observer?.close();
  await Promise.all((instances ?? []).map((instance) => instance.stop()));
});

/** One person's browser: a cookie jar and a passkey, its requests sent to the instance of its choice. */
class Person {
  readonly authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
  refreshCookie: string | undefined;
  accessToken = "";

  async send(instance: number, method: string, path: string, options: SendOptions = {}): Promise<Sent> {
    const client = new HttpClient(new URL(instances[instance]!.origin), ORIGIN);
    client.refreshCookie = this.refreshCookie;
    const sent = await client.send(method, path, { acceptRateLimit: true, ...options });
    this.refreshCookie = client.refreshCookie;
    if (typeof sent.body?.accessToken === "string") this.accessToken = sent.body.accessToken;
    return sent;
  }

  async signUp(username: string, instances: { options: number; verify: number }): Promise<Sent> {
    const options = await this.send(instances.options, "POST", ROUTES.registerOptions, { body: { username } });
    const credential = await this.authenticator.register(options.body as PublicKeyCredentialCreationOptionsJSON);
    return this.send(instances.verify, "POST", ROUTES.registerVerify, { body: credential });
  }

  async signIn(instances: { options: number; verify: number }): Promise<Sent> {
    const options = await this.send(instances.options, "POST", ROUTES.loginOptions, { body: {} });
    const assertion = await this.authenticator.authenticate(options.body as PublicKeyCredentialRequestOptionsJSON);
    return this.send(instances.verify, "POST", ROUTES.loginVerify, { body: assertion });
  }
}

function sessionIdOf(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString()).sid as string;
}

describe("three instances on one PostgreSQL", () => {
  it("signs an app's visitor in whichever instance answers each step: authorize, sign-in page, code exchange, userinfo, refresh", async () => {
    const registered = await registerTestClient({ config: { resources: [] } as unknown as Config, store: observer.store, clock: systemClock });
    let next = 0;
    // Every request, the app's and the browser's, goes to the next instance in turn.
    const roundRobin = (url: URL) => {
      const instance = new URL(instances[next++ % INSTANCES]!.origin);
      return new URL(`${url.pathname}${url.search}`, instance);
    };
    const config = await discover(ORIGIN, registered, roundRobin);
    const person = new Person();
    await person.signUp("oidc-walker", { options: 0, verify: 1 });
    const request = await authorizationRequest(config);
    const agent = new UserAgent(ORIGIN, roundRobin);
    const callback = await agent.authorize(request.url, { accessToken: person.accessToken });
    expect(agent.steps).toEqual(["details:login", "login", "details:consent", "consent"]);
    const tokens = await oauth.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const sub = tokens.claims()!.sub;
    expect(await oauth.fetchUserInfo(config, tokens.access_token, sub)).toMatchObject({ preferred_username: "oidc-walker" });
    let refreshToken = tokens.refresh_token!;
    for (let i = 0; i < INSTANCES; i++) refreshToken = (await oauth.refreshTokenGrant(config, refreshToken)).refresh_token!;
    // Signing out everywhere on one instance ends the app's grant for all of them.
    expect((await person.send(2, "POST", ROUTES.logoutAll, { bearer: person.accessToken })).status).toBe(204);
    await expect(oauth.refreshTokenGrant(config, refreshToken)).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("start together on an empty database, migrate it exactly once, and publish one signing key", async () => {
    const journal = JSON.parse(readFileSync(join(POSTGRES_MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    const applied = (await client.query("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations")).rows[0].n;
    await client.end();
    expect(applied).toBe(journal.entries.length);
    const jwks = await Promise.all(instances.map(async (instance) => (await fetch(`${instance.origin}${ROUTES.jwks}`)).json()));
    const kids = jwks.map((set) => (set as { keys: { kid: string }[] }).keys.map((key) => key.kid));
    expect(kids[0]).toHaveLength(1);
    expect(kids).toEqual([kids[0], kids[0], kids[0]]);
  });

  it("signs up with options from one instance and the verify on another, and signs in across two others", async () => {
    const person = new Person();
    const signedUp = await person.signUp("crossing", { options: 0, verify: 1 });
    expect(signedUp.status).toBe(200);
    const signedIn = await person.signIn({ options: 2, verify: 0 });
    expect(signedIn.status).toBe(200);
    expect((await person.send(1, "GET", ROUTES.me, { bearer: person.accessToken })).body).toMatchObject({ username: "crossing" });
  });

  it("keeps a refresh chain going whichever instance each refresh reaches", async () => {
    const person = new Person();
    expect((await person.signUp("chain", { options: 0, verify: 0 })).status).toBe(200);
    const answers: number[] = [];
    for (let step = 0; step < 9; step++) answers.push((await person.send(step % INSTANCES, "POST", ROUTES.refresh)).status);
    expect(answers).toEqual(Array(9).fill(200));
    expect((await person.send(2, "GET", ROUTES.me, { bearer: person.accessToken })).status).toBe(200);
  });

  it("gives all 20 parallel refreshes of one token, spread over the instances, the same successor: one live token, no 5xx", async () => {
    const person = new Person();
    expect((await person.signUp("parallel", { options: 1, verify: 2 })).status).toBe(200);
    const sessionId = sessionIdOf(person.accessToken);
    const presented = person.refreshCookie;
    const racers = Array.from({ length: 20 }, (_, i) => {
      const racer = new Person();
      racer.refreshCookie = presented;
      return racer.send(i % INSTANCES, "POST", ROUTES.refresh).then((sent) => ({ sent, cookie: racer.refreshCookie }));
    });
    const results = await Promise.all(racers);
    expect(results.filter(({ sent }) => sent.status >= 500)).toEqual([]);
    expect(results.map(({ sent }) => sent.status)).toEqual(Array(20).fill(200));
    const tokens = await Promise.all(results.map(({ cookie }) => observer.store.sessions.findRefreshToken(hashSecretToken(cookie!))));
    expect(new Set(results.map(({ cookie }) => cookie)).size).toBe(1);
    expect(tokens.every((token) => token !== null && token.usedAt === null)).toBe(true);
    expect((await observer.store.sessions.findState(sessionId, "no-such-kid"))!.revokedAt).toBeNull();
  });

  it("revokes the session on every instance when one detects reuse of a rotated token", async () => {
    const person = new Person();
    expect((await person.signUp("reuse", { options: 0, verify: 0 })).status).toBe(200);
    const stolen = person.refreshCookie;
    expect((await person.send(0, "POST", ROUTES.refresh)).status).toBe(200);
    expect((await person.send(1, "POST", ROUTES.refresh)).status).toBe(200);
    const thief = new Person();
    thief.refreshCookie = stolen;
    expect((await thief.send(2, "POST", ROUTES.refresh)).body.error.code).toBe("refresh_token_reused");
    for (let instance = 0; instance < INSTANCES; instance++) {
      expect((await person.send(instance, "GET", ROUTES.me, { bearer: person.accessToken })).status).toBe(401);
    }
    expect((await person.send(0, "POST", ROUTES.refresh)).status).toBe(401);
  });

  it("refuses a signed-out-everywhere session on the other instances at their next request", async () => {
    const person = new Person();
    expect((await person.signUp("everywhere", { options: 2, verify: 2 })).status).toBe(200);
    const laptop = new Person();
    for (const [id, credential] of person.authenticator.credentials) laptop.authenticator.credentials.set(id, credential);
    expect((await laptop.signIn({ options: 0, verify: 1 })).status).toBe(200);
    expect((await person.send(2, "POST", ROUTES.logoutAll, { bearer: person.accessToken })).status).toBe(204);
    expect((await laptop.send(0, "GET", ROUTES.me, { bearer: laptop.accessToken })).status).toBe(401);
    expect((await laptop.send(1, "POST", ROUTES.refresh)).status).toBe(401);
  });

  it("holds the per-account limit across instances: the 11th named attempt in a minute is refused wherever it lands", async () => {
    const person = new Person();
    const answers: Sent[] = [];
    for (let attempt = 0; attempt < 11; attempt++)
      answers.push(await person.send(attempt % INSTANCES, "POST", ROUTES.loginOptions, { body: { username: "limited" } }));
    expect(answers.slice(0, 10).map((sent) => sent.status)).toEqual(Array(10).fill(200));
    expect(answers[10]).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } } });
    expect(answers[10]!.headers.get("ratelimit-policy")).toBe('"account";q=10;w=60');
  });

  it("signs with the key `npm run keys:rotate` made, on every instance within its reload interval, and still accepts the old key's tokens", async () => {
    const person = new Person();
    expect((await person.signUp("rotation", { options: 0, verify: 0 })).status).toBe(200);
    const oldToken = person.accessToken;
    const kidOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).kid as string;
    await run(process.execPath, ["--import", "tsx", "scripts/keys.ts", "rotate"], { env: { PATH: process.env.PATH, ...env } });
    const current = (await observer.store.signingKeys.list()).find((key) => key.retiredAt === null)!.kid;
    expect(current).not.toBe(kidOf(oldToken));
    for (let instance = 0; instance < INSTANCES; instance++) {
      // SIGNING_KEY_RELOAD_INTERVAL=1: each instance reads the keys again within a second.
      await expect.poll(async () => kidOf((await person.send(instance, "POST", ROUTES.refresh)).body.accessToken), { timeout: 5000 }).toBe(current);
      expect((await person.send(instance, "GET", ROUTES.me, { bearer: oldToken })).status).toBe(200);
      const published = ((await (await fetch(`${instances[instance]!.origin}${ROUTES.jwks}`)).json()) as { keys: { kid: string }[] }).keys.map(
        (key) => key.kid,
      );
      expect(published).toEqual([current, kidOf(oldToken)]);
    }
  });

  // Last: it leaves instance 0 dead.
  it("loses no acknowledged refresh and no session when one instance is killed under load, clients retrying on the others", async () => {
    const userIds: string[] = [];
    const people = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const person = new Person();
        const signedUp = await person.signUp(`load${i}`, { options: i % INSTANCES, verify: i % INSTANCES });
        expect(signedUp.status).toBe(200);
        userIds.push(signedUp.body.user.id);
        return person;
      }),
    );
    let killed = false;
    const acknowledged: string[] = [];
    const refused: number[] = [];
    const keepRefreshing = async (person: Person, index: number) => {
      for (let step = 0; step < 15; step++) {
        // A load balancer's choice, skipping the dead instance once it knows; a failed connection
        // is tried again on the next instance, as a proxy retries a request that got no answer.
        let target = (index + step) % INSTANCES;
        for (let tries = 0; ; tries++) {
          if (killed && target === 0) target = 1;
          try {
            const sent = await person.send(target, "POST", ROUTES.refresh);
            if (sent.status === 200) acknowledged.push(person.refreshCookie!);
            else refused.push(sent.status);
            break;
          } catch (error) {
            if (tries > 5) throw error;
            target = (target + 1) % INSTANCES;
          }
        }
      }
    };
    const load = Promise.all(people.map(keepRefreshing));
    await expect.poll(() => acknowledged.length, { timeout: 10_000 }).toBeGreaterThan(20);
    await instances[0]!.kill();
    killed = true;
    await load;

    expect(refused).toEqual([]);
    const stored = await Promise.all(acknowledged.map((cookie) => observer.store.sessions.findRefreshToken(hashSecretToken(cookie))));
    expect(stored.filter((token) => token === null)).toEqual([]);
    for (const person of people) expect((await person.send(1, "GET", ROUTES.me, { bearer: person.accessToken })).status).toBe(200);
    for (const userId of userIds) expect(await observer.store.audit.list({ userId, type: "refresh_token_reused", limit: 10 })).toEqual([]);
  });
});

// The Store contract: the guarantees server/db/store.ts states, checked against every engine with
// two connections to one database (two instances), the conflicting calls sent at once, one to
// each. Whatever the interleaving, each invariant must hold.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import type { Config } from "../../server/config.ts";
import { type OpenedStore, openStore } from "../../server/db/open-store.ts";
import type { NewRefreshToken, PasskeyRecord, SigningKeyRecord, Store, UserRecord } from "../../server/db/store.ts";
import { createDatabase } from "../../tools/postgres-server.ts";

const NOW = Date.parse("2026-01-15T10:00:00Z");
const HOUR = 3_600_000;

interface Engine {
  name: string;
  /** Whether rate-limit windows are shared between connections (instances). SQLite: one process owns a file, and counts in its memory. */
  sharedRateLimits: boolean;
  /** A fresh database, and what removes it once both connections are closed. */
  create(): Promise<{ config: Pick<Config, "database">; remove(): void }>;
}

const ENGINES: Engine[] = [
  {
    name: "SQLite",
    sharedRateLimits: false,
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), "store-contract-"));
      return { config: { database: { engine: "sqlite", path: join(dir, "auth.db") } }, remove: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: "PostgreSQL",
    sharedRateLimits: true,
    create: async () => ({ config: { database: { engine: "postgres", url: await createDatabase(inject("postgresAdminUrl")) } }, remove: () => undefined }),
  },
];

const user = (overrides: Partial<UserRecord> = {}): UserRecord => ({
  id: randomUUID(),
  username: `user-${randomBytes(4).toString("hex")}`,
  displayName: "Someone",
  webauthnUserId: randomBytes(32).toString("base64url"),
  role: "user",
  blockedAt: null,
  createdAt: NOW,
  ...overrides,
});

const passkey = (userId: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord => ({
  id: randomUUID(),
  userId,
  credentialId: randomBytes(16).toString("base64url"),
  publicKey: new Uint8Array(randomBytes(65)),
  counter: 0,
  transports: ["internal"],
  deviceType: "singleDevice",
  backedUp: false,
  aaguid: "00000000-0000-0000-0000-000000000000",
  name: "Passkey",
  createdAt: NOW,
  lastUsedAt: null,
  ...overrides,
});

const token = (sessionId: string, parentId: string | null = null): NewRefreshToken => ({
  id: randomUUID(),
  sessionId,
  tokenHash: randomBytes(32).toString("base64url"),
  parentId,
  createdAt: NOW,
});

const signingKey = (retiredAt: number | null = null): SigningKeyRecord => ({
  kid: randomUUID(),
  alg: "ES256",
  publicJwk: "{}",
  privateJwkEncrypted: "x",
  createdAt: NOW,
  retiredAt,
  revokedAt: null,
});

const audit = { type: "token_refreshed", createdAt: NOW };

const challengeRecord = (challenge: string, expiresAt = NOW + HOUR) => ({
  challenge,
  purpose: "authentication" as const,
  userId: null,
  username: null,
  displayName: null,
  webauthnUserId: null,
  expiresAt,
  createdAt: NOW,
});

async function signedUp(store: Store, overrides: Partial<UserRecord> = {}): Promise<{ user: UserRecord; passkey: PasskeyRecord }> {
  const record = user(overrides);
  const key = passkey(record.id);
  expect(await store.users.createWithPasskey(record, key)).toBe("created");
  return { user: record, passkey: key };
}

/** A session opened at `at`: idle for an hour, over after a day. */
const sessionRecord = (id: string, userId: string, passkeyId: string | null, at = NOW) => ({
  id,
  userId,
  passkeyId,
  createdAt: at,
  idleExpiresAt: at + HOUR,
  expiresAt: at + 24 * HOUR,
  userAgent: null,
  ip: null,
});

async function openSession(store: Store, userId: string, passkeyId: string | null, maxPerUser = 10) {
  const id = randomUUID();
  const first = token(id);
  const session = sessionRecord(id, userId, passkeyId);
  await store.sessions.create(session, first, { maxPerUser, now: NOW });
  return { id, first };
}

describe.each(ENGINES)("Store contract on $name", (engine) => {
  let a: Store;
  let b: Store;
  let opened: OpenedStore[];
  let remove: () => void;
  beforeEach(async () => {
    const database = await engine.create();
    remove = database.remove;
    // Two connections to one database: two instances.
    opened = [await openStore(database.config), await openStore(database.config)];
    a = opened[0]!.store;
    b = opened[1]!.store;
  });
  afterEach(async () => {
    for (const connection of opened) await connection.close();
    remove();
  });

  it("never leaves zero active admins when two admins demote each other at once", async () => {
    const [root, alice] = [await signedUp(a, { role: "admin" }), await signedUp(a, { role: "admin" })];
    const outcomes = await Promise.all([
      a.users.change({ id: root.user.id, role: "user", allowNoActiveAdmin: false, now: NOW }),
      b.users.change({ id: alice.user.id, role: "user", allowNoActiveAdmin: false, now: NOW }),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["changed", "last_admin"]);
    const roles = [(await a.users.findById(root.user.id))!.role, (await a.users.findById(alice.user.id))!.role];
    expect(roles.filter((role) => role === "admin")).toHaveLength(1);
  });

  it("revokes a user's live sessions in the step that blocks them", async () => {
    const { user: alice, passkey: key } = await signedUp(a);
    const { id } = await openSession(a, alice.id, key.id);
    const outcome = await b.users.change({ id: alice.id, blockedAt: NOW, allowNoActiveAdmin: false, now: NOW });
    expect(outcome).toMatchObject({ outcome: "changed", revokedSessionIds: [id] });
    expect((await a.sessions.findState(id, "no-such-kid"))!.revokedAt).toBe(NOW);
  });

  it("records only one of two uses carrying the same counter, and never lowers the counter", async () => {
    const { passkey: key } = await signedUp(a);
    const outcomes = await Promise.all([
      a.passkeys.recordUse(key.id, { counter: 7, backedUp: false, usedAt: NOW }),
      b.passkeys.recordUse(key.id, { counter: 7, backedUp: false, usedAt: NOW }),
    ]);
    expect(outcomes.sort()).toEqual(["counter_regression", "recorded"]);
    expect(await a.passkeys.recordUse(key.id, { counter: 3, backedUp: false, usedAt: NOW })).toBe("counter_regression");
    expect((await b.passkeys.findByCredentialId(key.credentialId))!.counter).toBe(7);
    expect(await a.passkeys.recordUse(randomUUID(), { counter: 9, backedUp: false, usedAt: NOW })).toBe("not_found");
  });

  it("records every use of a passkey without a counter (0 stays 0)", async () => {
    const { passkey: key } = await signedUp(a);
    const outcomes = await Promise.all([
      a.passkeys.recordUse(key.id, { counter: 0, backedUp: true, usedAt: NOW }),
      b.passkeys.recordUse(key.id, { counter: 0, backedUp: true, usedAt: NOW }),
    ]);
    expect(outcomes).toEqual(["recorded", "recorded"]);
  });

  it("keeps a user's last passkey when their two passkeys are deleted at once", async () => {
    const { user: alice, passkey: first } = await signedUp(a);
    const second = passkey(alice.id);
    expect(await a.passkeys.insert(second)).toBe("created");
    const outcomes = await Promise.all([
      a.passkeys.deleteUnlessLast({ id: first.id, userId: alice.id, keepSessionId: "", now: NOW }),
      b.passkeys.deleteUnlessLast({ id: second.id, userId: alice.id, keepSessionId: "", now: NOW }),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["deleted", "last_passkey"]);
    expect(await a.passkeys.listForUser(alice.id)).toHaveLength(1);
  });

  it("opens no session on a passkey deleted while its sign-in ran, and writes nothing", async () => {
    const { user: alice, passkey: first } = await signedUp(a);
    const second = passkey(alice.id);
    expect(await a.passkeys.insert(second)).toBe("created");
    expect((await b.passkeys.deleteUnlessLast({ id: second.id, userId: alice.id, keepSessionId: "", now: NOW })).outcome).toBe("deleted");
    const id = randomUUID();
    const session = sessionRecord(id, alice.id, second.id);
    expect(await a.sessions.create(session, token(id), { maxPerUser: 10, now: NOW })).toEqual({ outcome: "passkey_not_found" });
    expect(await a.sessions.findState(id, "no-such-kid")).toBeNull();
    expect((await openSession(a, alice.id, first.id)).id).toBeTruthy(); // its other passkey still signs in
  });

  it("keeps at most the session limit live when sessions are opened at once", async () => {
    const { user: alice, passkey: key } = await signedUp(a);
    await Promise.all(Array.from({ length: 6 }, (_, i) => openSession(i % 2 ? a : b, alice.id, key.id, 3)));
    expect(await a.sessions.listLiveForUser(alice.id, NOW)).toHaveLength(3);
  });

  it("consumes a challenge once", async () => {
    const challenge = randomBytes(32).toString("base64url");
    const record = challengeRecord(challenge);
    await a.challenges.insert(record, { now: NOW, maxPending: 100 });
    const consumed = await Promise.all([a.challenges.consume(challenge), b.challenges.consume(challenge)]);
    expect(consumed.filter((c) => c !== null)).toEqual([record]);
  });

  it("keeps at most maxPending challenges, the newest, however many are inserted", async () => {
    const inserted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const challenge = `challenge-${i}`;
      inserted.push(challenge);
      const record = challengeRecord(challenge);
      await (i % 2 ? a : b).challenges.insert(record, { now: NOW, maxPending: 10 });
    }
    expect(await a.challenges.count()).toBe(10);
    expect(await b.challenges.consume(inserted.at(-1)!)).not.toBeNull();
    expect(await b.challenges.consume(inserted[0]!)).toBeNull();
  });

  it("rotates the tokens of many sessions asked for in one turn, each once with its audit row, and a token presented twice in that turn once", async () => {
    const { user: alice, passkey: key } = await signedUp(a);
    const sessions = await Promise.all(Array.from({ length: 5 }, () => openSession(a, alice.id, key.id)));
    const rotation = (first: { id: string }, sessionId: string, later = 0) => ({
      presentedId: first.id,
      successor: token(sessionId, first.id),
      idleExpiresAt: NOW + HOUR + later,
      now: NOW + later,
      audit: { type: "token_refreshed" as const, userId: alice.id, sessionId, detail: { n: later }, createdAt: NOW + later },
    });
    const rotations = sessions.map(({ id, first }, i) => rotation(first, id, i + 1));
    const twice = rotation(sessions[0]!.first, sessions[0]!.id, 100); // the first session's token again, in the same turn
    const rotated = await Promise.all([...rotations, twice].map((input) => a.sessions.rotate(input)));
    expect(rotated).toEqual([true, true, true, true, true, false]);
    for (const [i, input] of rotations.entries()) {
      const successor = await b.sessions.findRefreshToken(input.successor.tokenHash);
      expect([successor?.parentId, successor?.usedAt, successor?.session.idleExpiresAt]).toEqual([input.presentedId, null, NOW + HOUR + i + 1]);
    }
    expect(await b.sessions.findRefreshToken(twice.successor.tokenHash)).toBeNull();
    const events = await b.audit.list({ type: "token_refreshed", limit: 10 });
    expect(events.map((event) => event.detail.n).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("does not rotate a token whose session was revoked after the token was looked up, alone or in a turn's batch", async () => {
    const { user: alice, passkey: key } = await signedUp(a);
    const revoked = await openSession(a, alice.id, key.id);
    const live = await openSession(a, alice.id, key.id);
    expect((await a.sessions.findRefreshToken(revoked.first.tokenHash))?.session.revokedAt).toBeNull(); // looked up while live
    expect(await b.sessions.revoke(revoked.id, "logout", NOW)).toBe(true); // then revoked, by another instance
    const rotation = ({ id, first }: { id: string; first: { id: string } }) => ({
      presentedId: first.id,
      successor: token(id, first.id),
      idleExpiresAt: NOW + HOUR,
      now: NOW,
      audit,
    });
    expect(await a.sessions.rotate(rotation(revoked))).toBe(false);
    expect(await Promise.all([a.sessions.rotate(rotation(revoked)), a.sessions.rotate(rotation(live))])).toEqual([false, true]);
    expect((await b.sessions.findRefreshToken(revoked.first.tokenHash))?.usedAt).toBeNull(); // nothing written for it
  });

  it("rotates a refresh token once however many instances try at once, leaving one successor", async () => {
    const { user: alice, passkey: key } = await signedUp(a);
    const { first } = await openSession(a, alice.id, key.id);
    const successors = [token(first.sessionId, first.id), token(first.sessionId, first.id)];
    const rotated = await Promise.all(
      successors.map((successor, i) => (i ? b : a).sessions.rotate({ presentedId: first.id, successor, idleExpiresAt: NOW + HOUR, now: NOW, audit })),
    );
    expect(rotated.sort()).toEqual([false, true]);
    const stored = await Promise.all(successors.map((successor) => b.sessions.findRefreshToken(successor.tokenHash)));
    expect(stored.filter((found) => found !== null).map((found) => [found!.parentId, found!.usedAt])).toEqual([[first.id, null]]);
  });

  it("opens a sign-in's session in one step with its challenge used, its counter recorded and its event, once however many instances race", async () => {
    const { user: alice, passkey: key } = await signedUp(a);
    const challenge = challengeRecord("sign-in");
    await a.challenges.insert(challenge, { now: NOW, maxPending: 100 });
    const attempt = (store: Store) => {
      const id = randomUUID();
      const session = sessionRecord(id, alice.id, key.id);
      return store.sessions.create(session, token(id), {
        maxPerUser: 10,
        now: NOW,
        assertion: { challenge: "sign-in", passkeyId: key.id, use: { counter: 5, backedUp: false, usedAt: NOW } },
        audit: {
          signedIn: { type: "signed_in", userId: alice.id, sessionId: id, createdAt: NOW },
          evicted: (evicted) => ({ type: "session_evicted", sessionId: evicted, createdAt: NOW }),
        },
      });
    };
    const outcomes = (await Promise.all([attempt(a), attempt(b)])).map((created) => created.outcome).sort();
    expect(outcomes).toEqual(["challenge_not_found", "created"]);
    expect(await a.challenges.find("sign-in")).toBeNull();
    expect((await a.passkeys.findByCredentialId(key.credentialId))!.counter).toBe(5);
    expect(await a.sessions.listLiveForUser(alice.id, NOW)).toHaveLength(1);
    expect((await a.audit.list({ type: "signed_in", limit: 10 })).length).toBe(1);
    // A counter that did not grow opens nothing, and its challenge is used up all the same.
    await a.challenges.insert({ ...challenge, challenge: "again" }, { now: NOW, maxPending: 100 });
    const id = randomUUID();
    const replayed = await b.sessions.create(sessionRecord(id, alice.id, key.id), token(id), {
      maxPerUser: 10,
      now: NOW,
      assertion: { challenge: "again", passkeyId: key.id, use: { counter: 5, backedUp: false, usedAt: NOW } },
    });
    expect(replayed).toEqual({ outcome: "passkey_counter_regression" });
    expect(await a.challenges.find("again")).toBeNull();
    expect(await a.sessions.listLiveForUser(alice.id, NOW)).toHaveLength(1);
  });

  it("purges what has ended, a bounded batch per table, and leaves everything live", async () => {
    const { user: alice, passkey: key } = await signedUp(a);
    const ended = [await openSession(a, alice.id, key.id), await openSession(a, alice.id, key.id), await openSession(a, alice.id, key.id)];
    const after = NOW + 25 * HOUR; // past those sessions' absolute expiry (24 h)
    const live = randomUUID();
    const liveToken = token(live);
    const liveSession = sessionRecord(live, alice.id, key.id, after);
    await a.sessions.create(liveSession, liveToken, { maxPerUser: 10, now: after });
    for (const [i, expiresAt] of [NOW, NOW, after + HOUR].entries()) {
      const challenge = challengeRecord(`c-${i}`, expiresAt);
      await a.challenges.insert(challenge, { now: NOW - 1, maxPending: 100 });
      await a.recovery.insertGrant({ id: randomUUID(), userId: alice.id, tokenHash: `grant-${i}`, createdAt: NOW, expiresAt });
    }
    for (const createdAt of [NOW, NOW, after]) await a.audit.record({ type: "signed_in", userId: alice.id, createdAt });
    for (const [i, expiresAt] of [NOW, NOW, after + HOUR].entries()) {
      await a.oidc.upsert("AuthorizationCode", `code-${i}`, { payload: "{}", grantId: null, uid: null, userCode: null, expiresAt });
    }

    const first = await b.maintenance.purge({ now: after, auditBefore: after, limit: 2 });
    expect(first).toEqual({ sessions: 2, challenges: 2, recoveryGrants: 2, auditEvents: 2, oidcPayloads: 2 });
    const second = await a.maintenance.purge({ now: after, auditBefore: after, limit: 2 });
    expect(second).toEqual({ sessions: 1, challenges: 0, recoveryGrants: 0, auditEvents: 0, oidcPayloads: 0 });
    expect(await a.oidc.find("AuthorizationCode", "code-2", after)).not.toBeNull();
    // The ended sessions' refresh tokens went with them; everything live stayed.
    for (const { first: gone } of ended) expect(await a.sessions.findRefreshToken(gone.tokenHash)).toBeNull();
    expect(await a.sessions.findRefreshToken(liveToken.tokenHash)).not.toBeNull();
    expect(await a.challenges.count()).toBe(1);
    expect(await a.recovery.findGrantUser("grant-2", after)).toBe(alice.id);
    expect((await a.audit.list({ limit: 10 })).map((event) => event.createdAt)).toEqual([after]);
    // A null audit cutoff keeps every event.
    expect((await a.maintenance.purge({ now: after + 48 * HOUR, auditBefore: null, limit: 10 })).auditEvents).toBe(0);
  });

  it("ends the OpenID grants and provider sessions made in a platform session when any path revokes it", async () => {
    const { user: alice, passkey: key } = await signedUp(a);
    const client = {
      clientId: "app",
      name: "App",
      secretHash: null,
      redirectUris: ["https://app.example/cb"],
      postLogoutRedirectUris: [],
      resources: [],
      firstParty: false,
      createdAt: NOW,
    };
    expect(await a.oidc.clients.insert(client)).toBe(true);
    expect(await b.oidc.clients.insert(client)).toBe(false);
    const grantIn = async (sessionId: string, grantId: string) => {
      await a.oidc.upsert("Grant", grantId, { payload: "{}", grantId, uid: null, userCode: null, expiresAt: NOW + HOUR });
      await a.oidc.upsert("RefreshToken", `rt-${grantId}`, { payload: "{}", grantId, uid: null, userCode: null, expiresAt: NOW + HOUR });
      await a.oidc.upsert("Session", `s-${grantId}`, { payload: "{}", grantId: null, uid: `uid-${grantId}`, userCode: null, expiresAt: NOW + HOUR });
      await a.oidc.linkGrant({ grantId, userId: alice.id, clientId: "app", sessionId, createdAt: NOW });
      await a.oidc.linkSession(`uid-${grantId}`, sessionId);
    };
    const one = await openSession(a, alice.id, key.id);
    const two = await openSession(a, alice.id, key.id);
    await grantIn(one.id, "g1");
    await grantIn(two.id, "g2");
    expect((await a.oidc.listGrantsOfUser(alice.id)).map((grant) => grant.grantId).sort()).toEqual(["g1", "g2"]);

    expect(await b.sessions.revoke(one.id, "revoked_by_user", NOW)).toBe(true);
    expect(await a.oidc.find("RefreshToken", "rt-g1", NOW)).toBeNull();
    expect(await a.oidc.find("Grant", "g1", NOW)).toBeNull();
    expect(await a.oidc.findBy("Session", { uid: "uid-g1" }, NOW)).toBeNull();
    expect(await a.oidc.sessionOfProviderSession("uid-g1")).toBeNull();
    expect(await a.oidc.find("RefreshToken", "rt-g2", NOW)).not.toBeNull();

    await b.sessions.revokeAllForUser(alice.id, "logout_all", NOW);
    expect(await a.oidc.listGrantsOfUser(alice.id)).toEqual([]);
    expect(await a.oidc.find("RefreshToken", "rt-g2", NOW)).toBeNull();
    // Removing the client ends whatever it still held.
    const three = await openSession(a, alice.id, key.id);
    await grantIn(three.id, "g3");
    expect(await b.oidc.clients.delete("app")).toBe(true);
    expect(await a.oidc.find("RefreshToken", "rt-g3", NOW)).toBeNull();
    expect(await a.oidc.clients.find("app")).toBeNull();
  });

  it("uses a recovery code once and a recovery grant once", async () => {
    const { user: alice } = await signedUp(a);
    await a.recovery.replaceCodes(alice.id, ["code-hash"], NOW);
    expect((await Promise.all([a.recovery.useCode(alice.id, "code-hash", NOW), b.recovery.useCode(alice.id, "code-hash", NOW)])).sort()).toEqual([false, true]);
    await a.recovery.insertGrant({ id: randomUUID(), userId: alice.id, tokenHash: "grant-hash", createdAt: NOW, expiresAt: NOW + HOUR });
    const users = await Promise.all([a.recovery.consumeGrant("grant-hash", NOW), b.recovery.consumeGrant("grant-hash", NOW)]);
    expect(users.filter((id) => id !== null)).toEqual([alice.id]);
  });

  it("makes one current signing key when two instances start on an empty database at once", async () => {
    const offered = await Promise.all([a.signingKeys.insertIfNoneCurrent(signingKey()), b.signingKeys.insertIfNoneCurrent(signingKey())]);
    expect(offered.sort()).toEqual([false, true]);
    expect((await a.signingKeys.list()).filter((key) => key.retiredAt === null)).toHaveLength(1);
  });

  it("lets one of two instances rotate the signing key, leaving one current key", async () => {
    const current = signingKey();
    expect(await a.signingKeys.insertIfNoneCurrent(current)).toBe(true);
    const rotated = await Promise.all([a, b].map((store) => store.signingKeys.rotate({ currentKid: current.kid, retiredAt: NOW, next: signingKey() })));
    expect(rotated.sort()).toEqual([false, true]);
    expect((await b.signingKeys.list()).filter((key) => key.retiredAt === null)).toHaveLength(1);
  });

  it("keeps a rate-limit window in use when a flood of fresh keys fills the table", async () => {
    const windowMs = 60_000;
    await a.rateLimits.hit({ key: "account:target", now: NOW, windowMs });
    for (let i = 0; i < 11_000; i++) {
      await a.rateLimits.hit({ key: `account:fresh-${i}`, now: NOW, windowMs });
      if (i % 1000 === 0) await a.rateLimits.hit({ key: "account:target", now: NOW, windowMs });
    }
    expect((await a.rateLimits.hit({ key: "account:target", now: NOW, windowMs })).count).toBe(13);
  });

  it("counts every rate-limit hit once, in one window per key, from every instance at once", async () => {
    const stores = engine.sharedRateLimits ? [a, b] : [a];
    const windowMs = 60_000;
    const counts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stores[i % stores.length]!.rateLimits.hit({ key: "account:alice", now: NOW, windowMs })),
    );
    expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await b.rateLimits.hit({ key: "account:bob", now: NOW, windowMs })).toEqual({ count: 1, startedAt: NOW });
    // A window that has ended starts over.
    expect(await a.rateLimits.hit({ key: "account:alice", now: NOW + windowMs, windowMs })).toEqual({ count: 1, startedAt: NOW + windowMs });
  });

  it("gives each of one turn's rate-limit hits its own count, in order, key by key, and starts an ended window over", async () => {
    const windowMs = 60_000;
    await a.rateLimits.hit({ key: "ip:ended", now: NOW - windowMs, windowMs });
    await a.rateLimits.hit({ key: "ip:ended", now: NOW - windowMs, windowMs });
    // Asked for in one turn: PostgreSQL counts them with one statement.
    const keys = ["ip:a", "ip:b", "ip:a", "ip:ended", "ip:a", "ip:b", "ip:ended"];
    const windows = await Promise.all(keys.map((key) => a.rateLimits.hit({ key, now: NOW, windowMs })));
    expect(windows.map((window) => [window.count, window.startedAt])).toEqual([
      [1, NOW],
      [1, NOW],
      [2, NOW],
      [1, NOW],
      [3, NOW],
      [2, NOW],
      [2, NOW],
    ]);
    expect(await b.rateLimits.hit({ key: "ip:a", now: NOW + 1, windowMs })).toEqual(
      engine.sharedRateLimits ? { count: 4, startedAt: NOW } : { count: 1, startedAt: NOW + 1 },
    );
  });
});

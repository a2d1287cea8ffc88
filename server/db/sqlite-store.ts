// The Store over SQLite: every statement prepared once, each Store method one atomic step.
import { and, asc, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { SqliteDb } from "./client.ts";
import { auditEvents, challenges, passkeys, refreshTokens, sessions, signingKeys, users } from "./schema.ts";
import type { PasskeyRecord, RefreshTokenLookup, Store, UserRecord } from "./store.ts";

const p = sql.placeholder;

const userColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  webauthnUserId: users.webauthnUserId,
  role: users.role,
  blockedAt: users.blockedAt,
  createdAt: users.createdAt,
};

function isUniqueViolation(error: unknown, column: string): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === "SQLITE_CONSTRAINT_UNIQUE" && (e.message ?? "").includes(column);
}

function toPasskey(row: typeof passkeys.$inferSelect): PasskeyRecord {
  return { ...row, publicKey: new Uint8Array(row.publicKey), transports: JSON.parse(row.transports) as string[] };
}

export function createSqliteStore(db: SqliteDb): Store {
  const q = {
    userByUsername: db.select(userColumns).from(users).where(eq(users.username, p("username"))).prepare(),
    userById: db.select(userColumns).from(users).where(eq(users.id, p("id"))).prepare(),
    insertChallenge: db
      .insert(challenges)
      .values({
        challenge: p("challenge"),
        purpose: p("purpose"),
        userId: p("userId"),
        username: p("username"),
        displayName: p("displayName"),
        webauthnUserId: p("webauthnUserId"),
        expiresAt: p("expiresAt"),
        createdAt: p("createdAt"),
      })
      .prepare(),
    consumeChallenge: db.delete(challenges).where(eq(challenges.challenge, p("challenge"))).returning().prepare(),
    deleteExpiredChallenges: db.delete(challenges).where(lt(challenges.expiresAt, p("now"))).prepare(),
    passkeyByCredentialId: db.select().from(passkeys).where(eq(passkeys.credentialId, p("credentialId"))).prepare(),
    passkeyDescriptors: db
      .select({ credentialId: passkeys.credentialId, transports: passkeys.transports })
      .from(passkeys)
      .where(eq(passkeys.userId, p("userId")))
      .orderBy(asc(passkeys.createdAt))
      .prepare(),
    recordPasskeyUse: db
      .update(passkeys)
      .set({ counter: sql`${p("counter")}`, backedUp: sql`${p("backedUp")}`, lastUsedAt: sql`${p("usedAt")}` })
      .where(eq(passkeys.id, p("id")))
      .prepare(),
    insertSession: db
      .insert(sessions)
      .values({
        id: p("id"),
        userId: p("userId"),
        passkeyId: p("passkeyId"),
        createdAt: p("createdAt"),
        lastUsedAt: p("createdAt"),
        idleExpiresAt: p("idleExpiresAt"),
        expiresAt: p("expiresAt"),
        userAgent: p("userAgent"),
        ip: p("ip"),
      })
      .prepare(),
    liveSessionIdsNewestFirst: db
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        and(
          eq(sessions.userId, p("userId")),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, p("now")),
          gt(sessions.idleExpiresAt, p("now")),
        ),
      )
      .orderBy(desc(sessions.createdAt), desc(sessions.id))
      .prepare(),
    insertToken: db
      .insert(refreshTokens)
      .values({
        id: p("id"),
        sessionId: p("sessionId"),
        tokenHash: p("tokenHash"),
        parentId: p("parentId"),
        createdAt: p("createdAt"),
      })
      .prepare(),
    tokenByHash: db
      .select({
        id: refreshTokens.id,
        sessionId: refreshTokens.sessionId,
        parentId: refreshTokens.parentId,
        usedAt: refreshTokens.usedAt,
        discardedAt: refreshTokens.discardedAt,
        session: {
          userId: sessions.userId,
          createdAt: sessions.createdAt,
          idleExpiresAt: sessions.idleExpiresAt,
          expiresAt: sessions.expiresAt,
          revokedAt: sessions.revokedAt,
        },
        user: userColumns,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(refreshTokens.tokenHash, p("tokenHash")))
      .prepare(),
    markTokenUsed: db
      .update(refreshTokens)
      .set({ usedAt: sql`${p("now")}` })
      .where(and(eq(refreshTokens.id, p("id")), isNull(refreshTokens.usedAt), isNull(refreshTokens.discardedAt)))
      .prepare(),
    discardUnusedChild: db
      .update(refreshTokens)
      .set({ discardedAt: sql`${p("now")}` })
      .where(
        and(
          eq(refreshTokens.sessionId, p("sessionId")),
          eq(refreshTokens.parentId, p("parentId")),
          isNull(refreshTokens.usedAt),
          isNull(refreshTokens.discardedAt),
        ),
      )
      .prepare(),
    touchSession: db
      .update(sessions)
      .set({ lastUsedAt: sql`${p("now")}`, idleExpiresAt: sql`${p("idleExpiresAt")}` })
      .where(eq(sessions.id, p("id")))
      .prepare(),
    revokeSession: db
      .update(sessions)
      .set({ revokedAt: sql`${p("now")}`, revokedReason: sql`${p("reason")}` })
      .where(and(eq(sessions.id, p("id")), isNull(sessions.revokedAt)))
      .prepare(),
    listSigningKeys: db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).prepare(),
    insertSigningKey: db
      .insert(signingKeys)
      .values({
        kid: p("kid"),
        alg: p("alg"),
        publicJwk: p("publicJwk"),
        privateJwkEncrypted: p("privateJwkEncrypted"),
        createdAt: p("createdAt"),
        retiredAt: p("retiredAt"),
      })
      .prepare(),
    insertAudit: db
      .insert(auditEvents)
      .values({
        type: p("type"),
        userId: p("userId"),
        sessionId: p("sessionId"),
        ip: p("ip"),
        userAgent: p("userAgent"),
        detail: p("detail"),
        createdAt: p("createdAt"),
      })
      .prepare(),
  };

  const revokeLiveSessions = (ids: string[], reason: string, now: number) => {
    for (const id of ids) q.revokeSession.run({ id, reason, now });
  };

  return {
    users: {
      findByUsername: async (username) => (q.userByUsername.get({ username }) as UserRecord | undefined) ?? null,
      findById: async (id) => (q.userById.get({ id }) as UserRecord | undefined) ?? null,
      createWithPasskey: async (user, passkey) => {
        try {
          db.transaction((tx) => {
            tx.insert(users).values(user).run();
            tx.insert(passkeys)
              .values({ ...passkey, publicKey: Buffer.from(passkey.publicKey), transports: JSON.stringify(passkey.transports) })
              .run();
          });
          return "created";
        } catch (error) {
          if (isUniqueViolation(error, "users.username")) return "username_taken";
          if (isUniqueViolation(error, "passkeys.credential_id")) return "passkey_already_registered";
          throw error;
        }
      },
    },
    challenges: {
      insert: async (challenge) => {
        q.insertChallenge.run(challenge);
      },
      consume: async (challenge) => q.consumeChallenge.get({ challenge }) ?? null,
      deleteExpired: async (now) => q.deleteExpiredChallenges.run({ now }).changes,
    },
    passkeys: {
      findByCredentialId: async (credentialId) => {
        const row = q.passkeyByCredentialId.get({ credentialId });
        return row ? toPasskey(row) : null;
      },
      listDescriptorsForUser: async (userId) =>
        q.passkeyDescriptors
          .all({ userId })
          .map((row) => ({ credentialId: row.credentialId, transports: JSON.parse(row.transports) as string[] })),
      recordUse: async (id, use) => {
        q.recordPasskeyUse.run({ id, counter: use.counter, backedUp: use.backedUp ? 1 : 0, usedAt: use.usedAt });
      },
    },
    sessions: {
      create: async (session, token, { maxPerUser, now }) =>
        db.transaction(() => {
          q.insertSession.run(session);
          q.insertToken.run(token);
          const live = q.liveSessionIdsNewestFirst.all({ userId: session.userId, now }).map((row) => row.id);
          const evicted = live.slice(maxPerUser);
          revokeLiveSessions(evicted, "session_limit", now);
          return evicted;
        }),
      findRefreshToken: async (tokenHash) => (q.tokenByHash.get({ tokenHash }) as RefreshTokenLookup | undefined) ?? null,
      rotate: async ({ presentedId, successor, idleExpiresAt, now }) =>
        db.transaction((tx) => {
          if (q.markTokenUsed.run({ id: presentedId, now }).changes !== 1) return false;
          q.insertToken.run(successor);
          q.touchSession.run({ id: successor.sessionId, now, idleExpiresAt });
          return true;
        }),
      replaceUnusedSuccessor: async ({ successor, idleExpiresAt, now }) =>
        db.transaction(() => {
          const discarded = q.discardUnusedChild.run({ sessionId: successor.sessionId, parentId: successor.parentId, now });
          if (discarded.changes !== 1) return false;
          q.insertToken.run(successor);
          q.touchSession.run({ id: successor.sessionId, now, idleExpiresAt });
          return true;
        }),
      revoke: async (sessionId, reason, now) => q.revokeSession.run({ id: sessionId, reason, now }).changes === 1,
      revokeAllForUser: async (userId, reason, now) =>
        db.transaction(() => {
          const live = q.liveSessionIdsNewestFirst.all({ userId, now }).map((row) => row.id);
          revokeLiveSessions(live, reason, now);
          return live;
        }),
    },
    signingKeys: {
      list: async () => q.listSigningKeys.all(),
      insert: async (key) => {
        q.insertSigningKey.run(key);
      },
    },
    audit: {
      record: async (event) => {
        q.insertAudit.run({
          type: event.type,
          userId: event.userId ?? null,
          sessionId: event.sessionId ?? null,
          ip: event.ip ?? null,
          userAgent: event.userAgent ?? null,
          detail: JSON.stringify(event.detail ?? {}),
          createdAt: event.createdAt,
        });
      },
    },
  };
}

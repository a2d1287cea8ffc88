// Sessions and their refresh tokens on SQLite: creation under the per-user cap, the hot lookups
// (the bearer check's reads of an event-loop turn in one statement), rotation (one conditional
// update with its successor and audit row, group-committed with the other rotations of its
// event-loop turn), and revocation.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { SqliteDb } from "../client.ts";
import { answersByPosition, perTurn } from "../per-turn.ts";
import { passkeys, refreshTokens, sessions, signingKeys, users } from "../schema.ts";
import type { RefreshTokenLookup, SessionCreated, SessionState, Store } from "../store.ts";
import { isLive, p, type SqliteShared, userColumns, WRITER } from "./shared.ts";

export function sqliteSessions(db: SqliteDb, shared: SqliteShared): Store["sessions"] {
  const insertSession = db
    .insert(sessions)
    .values({
      id: p("id"),
      userId: p("userId"),
      passkeyId: p("passkeyId"),
      createdAt: p("createdAt"),
      lastUsedAt: p("createdAt"),
      verifiedAt: p("createdAt"),
      idleExpiresAt: p("idleExpiresAt"),
      expiresAt: p("expiresAt"),
      userAgent: p("userAgent"),
      ip: p("ip"),
    })
    .prepare();
  const insertToken = db
    .insert(refreshTokens)
    .values({ id: p("id"), sessionId: p("sessionId"), tokenHash: p("tokenHash"), parentId: p("parentId"), createdAt: p("createdAt") })
    .prepare();
  const tokenByHash = db
    .select({
      id: refreshTokens.id,
      sessionId: refreshTokens.sessionId,
      parentId: refreshTokens.parentId,
      usedAt: refreshTokens.usedAt,
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
    .prepare();
  // Every bearer request runs this: the session's liveness with its user's role, block and profile.
  // The reads asked for during one event-loop turn go as one statement (perTurn), over a JSON array
  // of [session id, kid] pairs; each row carries the position (n, from 0) of the read it answers.
  const states = db
    .select({
      n: sql<number>`q.key`,
      userId: sessions.userId,
      revokedAt: sessions.revokedAt,
      verifiedAt: sessions.verifiedAt,
      idleExpiresAt: sessions.idleExpiresAt,
      expiresAt: sessions.expiresAt,
      role: users.role,
      blockedAt: users.blockedAt,
      username: users.username,
      displayName: users.displayName,
      userCreatedAt: users.createdAt,
      keyRevoked: sql<boolean>`EXISTS (SELECT 1 FROM ${signingKeys} WHERE ${signingKeys.kid} = q.value ->> 1 AND ${signingKeys.revokedAt} IS NOT NULL)`.mapWith(
        (exists: number) => exists === 1,
      ),
    })
    .from(sql`json_each(${p("reads")}) AS q`)
    .innerJoin(sessions, sql`${sessions.id} = q.value ->> 0`)
    .innerJoin(users, eq(users.id, sessions.userId))
    .prepare();
  const readState = perTurn({
    runBatch: async (asked: { id: string; kid: string }[]): Promise<(SessionState | null)[]> => {
      const rows = states.all({ reads: JSON.stringify(asked.map((read) => [read.id, read.kid])) });
      return answersByPosition(rows, asked.length, 0);
    },
    // A read takes no lock another reader holds: a failure is every read's.
    retryAlone: () => false,
  });
  const countLive = db
    .select({ n: sql<number>`count(*)` })
    .from(sessions)
    .where(isLive(p("now")))
    .prepare();
  const liveOfUser = db
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastUsedAt: sessions.lastUsedAt,
      idleExpiresAt: sessions.idleExpiresAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
      ip: sessions.ip,
      passkeyId: sessions.passkeyId,
      passkeyName: passkeys.name,
    })
    .from(sessions)
    .leftJoin(passkeys, eq(passkeys.id, sessions.passkeyId))
    .where(and(eq(sessions.userId, p("userId")), isLive(p("now"))))
    .orderBy(desc(sessions.createdAt), desc(sql`${sessions}.rowid`))
    .prepare();
  const setVerifiedAt = db
    .update(sessions)
    .set({ verifiedAt: sql`${p("now")}` })
    .where(eq(sessions.id, p("id")))
    .prepare();
  const owner = db
    .select({ userId: sessions.userId })
    .from(sessions)
    .where(eq(sessions.id, p("id")))
    .prepare();
  // Conditional on "unused": of two rotations of one token, one changes the row. And on "its
  // session not revoked": a revocation committed between the token's lookup and this commit (in
  // the same turn, before the group commit ran) leaves nothing to rotate.
  const markUsed = db
    .update(refreshTokens)
    .set({ usedAt: sql`${p("now")}` })
    .where(
      and(
        eq(refreshTokens.id, p("id")),
        isNull(refreshTokens.usedAt),
        sql`EXISTS (SELECT 1 FROM ${sessions} WHERE ${sessions.id} = ${refreshTokens.sessionId} AND ${sessions.revokedAt} IS NULL)`,
      ),
    )
    .prepare();
  const touch = db
    .update(sessions)
    .set({ lastUsedAt: sql`${p("now")}`, idleExpiresAt: sql`${p("idleExpiresAt")}` })
    .where(eq(sessions.id, p("id")))
    .prepare();

  return {
    // One write step (group-committed with the turn's others): the cap is counted and enforced with
    // no other session created between, and a sign-in's challenge, counter, session, token and
    // events are committed together.
    create: (session, token, { maxPerUser, now, audit, assertion }) =>
      shared.commit((): SessionCreated => {
        if (assertion) {
          // Returning (not throwing) commits what was done: a used challenge stays used.
          if (!shared.deleteChallenge(assertion.challenge)) return { outcome: "challenge_not_found" };
          const use = shared.recordPasskeyUse(assertion.passkeyId, assertion.use);
          if (use !== "recorded") return { outcome: use === "not_found" ? "passkey_not_found" : "passkey_counter_regression" };
        } else if (session.passkeyId !== null && !shared.passkeyExists(session.passkeyId)) {
          return { outcome: "passkey_not_found" };
        }
        insertSession.run(session);
        insertToken.run(token);
        // The new session always stays; the oldest of the others go past the limit.
        const others = shared.liveSessionIdsOfUser(session.userId, now).filter((id) => id !== session.id);
        const evicted = others.slice(maxPerUser - 1);
        shared.revokeSessions(evicted, "session_limit", now);
        if (audit) {
          if (audit.signedIn) shared.writeAudit(audit.signedIn);
          for (const id of evicted) shared.writeAudit(audit.evicted(id));
        }
        return { outcome: "created", evicted };
      }),
    findRefreshToken: async (tokenHash) => (tokenByHash.get({ tokenHash }) as RefreshTokenLookup | undefined) ?? null,
    findState: (id, kid) => readState({ id, kid }),
    countLive: async (now) => countLive.get({ now })?.n ?? 0,
    listLiveForUser: async (userId, now) => liveOfUser.all({ userId, now }),
    setVerifiedAt: async (id, now) => {
      setVerifiedAt.run({ id, now });
    },
    findOwner: async (id) => owner.get({ id })?.userId ?? null,
    // The hot write: a refresh's steps are all-or-nothing in their savepoint, and committed with
    // the other refreshes of the same event-loop turn (group-commit.ts).
    rotate: ({ presentedId, successor, idleExpiresAt, now, audit }) =>
      shared.commit(() => {
        if (markUsed.run({ id: presentedId, now }).changes !== 1) return false;
        insertToken.run(successor);
        touch.run({ id: successor.sessionId, now, idleExpiresAt });
        shared.writeAudit(audit);
        return true;
      }),
    revoke: async (sessionId, reason, now) => db.transaction(() => shared.revokeSessions([sessionId], reason, now).length === 1, WRITER),
    revokeAllForUser: async (userId, reason, now) =>
      db.transaction(() => {
        const live = shared.liveSessionIdsOfUser(userId, now);
        shared.revokeSessions(live, reason, now);
        return live;
      }, WRITER),
  };
}

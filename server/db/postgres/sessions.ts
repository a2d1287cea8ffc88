// Sessions and their refresh tokens on PostgreSQL: creation under the per-user cap, the hot
// lookups (those of an event-loop turn in one statement: bearer checks, refresh tokens), rotation (one
// statement: one round trip, one commit, its audit row included, for all the rotations of a turn),
// and revocation.
import { and, count, eq, sql } from "drizzle-orm";
import type { RefreshTokenLookup, SessionCreated, SessionState, Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { passkeys, refreshTokens, sessions, signingKeys, users } from "./schema.ts";
import { endOidcStateOfSessions } from "./oidc.ts";
import { answersByPosition, perTurn } from "../per-turn.ts";
import {
  auditRow,
  deleteChallenge,
  isLockConflict,
  isLive,
  liveSessionIdsOfUser,
  lockUser,
  recordPasskeyUse,
  revokeSessions,
  userColumns,
  writeAudit,
} from "./shared.ts";

const p = sql.placeholder;

type Rotation = Parameters<Store["sessions"]["rotate"]>[0];

/**
 * The rotation gate's second condition, on the token row `t`: its session not revoked, so that a
 * revocation committed between the token's lookup and the rotation leaves nothing to rotate.
 */
const SESSION_NOT_REVOKED = sql`EXISTS (SELECT 1 FROM sessions s WHERE s.id = t.session_id AND s.revoked_at IS NULL)`;

/**
 * Rotations, one or many, in one statement (one round trip, one commit): the gate marks each
 * presented token used only if it is still unused and its session not revoked, and only the rows
 * that passed insert their successor, move their session's idle expiry and write their audit
 * event. Data-modifying CTEs run as one statement: for each row all of it happens, or none.
 * Two rows presenting the same token pass the gate once. Returns the inputs (by index) that passed.
 */
function rotationsStatement(rotations: Rotation[]) {
  const column = <T>(pick: (rotation: Rotation, i: number) => T) => sql.param(rotations.map(pick));
  const audits = rotations.map((rotation) => auditRow(rotation.audit));
  const auditColumn = <T>(pick: (row: (typeof audits)[number]) => T) => sql.param(audits.map(pick));
  return sql`WITH input AS (
      SELECT * FROM unnest(
        ${column((_, i) => i)}::int[], ${column((r) => r.presentedId)}::text[], ${column((r) => r.now)}::bigint[], ${column((r) => r.idleExpiresAt)}::bigint[],
        ${column((r) => r.successor.id)}::text[], ${column((r) => r.successor.sessionId)}::text[], ${column((r) => r.successor.tokenHash)}::text[],
        ${column((r) => r.successor.createdAt)}::bigint[],
        ${auditColumn((a) => a.type)}::text[], ${auditColumn((a) => a.userId)}::text[], ${auditColumn((a) => a.sessionId)}::text[],
        ${auditColumn((a) => a.ip)}::text[], ${auditColumn((a) => a.userAgent)}::text[], ${auditColumn((a) => a.detail)}::text[],
        ${auditColumn((a) => a.createdAt)}::bigint[]
      ) AS i(n, presented_id, now, idle_expires_at, successor_id, session_id, token_hash, created_at,
             a_type, a_user_id, a_session_id, a_ip, a_user_agent, a_detail, a_created_at)),
    gate AS (
      UPDATE refresh_tokens t SET used_at = i.now FROM input i
      WHERE t.id = i.presented_id AND t.used_at IS NULL AND ${SESSION_NOT_REVOKED} RETURNING i.n),
    passed AS (SELECT input.* FROM input JOIN gate USING (n)),
    successor AS (
      INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at)
      SELECT successor_id, session_id, token_hash, presented_id, created_at FROM passed RETURNING id),
    touched AS (
      UPDATE sessions s SET last_used_at = passed.now, idle_expires_at = passed.idle_expires_at
      FROM passed WHERE s.id = passed.session_id RETURNING s.id),
    audited AS (
      INSERT INTO audit_events (type, user_id, session_id, ip, user_agent, detail, created_at)
      SELECT a_type, a_user_id, a_session_id, a_ip, a_user_agent, a_detail, a_created_at FROM passed RETURNING id)
    SELECT n FROM gate`;
}

export function postgresSessions(db: PostgresDb): Store["sessions"] {
  // Every refresh looks its token up: the lookups asked for during one event-loop turn go as one
  // statement (perTurn), each row carrying the position (n, from 1) of the lookup it answers.
  const tokensByHash = db
    .select({
      n: sql<number>`q.n`.mapWith(Number),
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
    .from(sql`unnest(${p("tokenHashes")}::text[]) WITH ORDINALITY AS q(token_hash, n)`)
    .innerJoin(refreshTokens, sql`${refreshTokens.tokenHash} = q.token_hash`)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .innerJoin(users, eq(users.id, sessions.userId))
    .prepare("refresh_tokens_by_hash");
  const findRefreshToken = perTurn({
    runBatch: async (tokenHashes: string[]): Promise<(RefreshTokenLookup | null)[]> => {
      return answersByPosition(await tokensByHash.execute({ tokenHashes }), tokenHashes.length, 1);
    },
    // A read takes no lock: a failure is every read's.
    retryAlone: () => false,
  });
  // Every bearer request runs this: the session's liveness with its user's role, block and profile.
  // The reads asked for during one event-loop turn go as one statement (perTurn), one round trip
  // for all of them; each row carries the position (n, from 1) of the read it answers.
  const states = db
    .select({
      n: sql<number>`q.n`.mapWith(Number),
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
      keyRevoked: sql<boolean>`EXISTS (SELECT 1 FROM ${signingKeys} WHERE ${signingKeys.kid} = q.kid AND ${signingKeys.revokedAt} IS NOT NULL)`,
    })
    .from(sql`unnest(${p("ids")}::text[], ${p("kids")}::text[]) WITH ORDINALITY AS q(id, kid, n)`)
    .innerJoin(sessions, sql`${sessions.id} = q.id`)
    .innerJoin(users, eq(users.id, sessions.userId))
    .prepare("session_states");
  const readState = perTurn({
    runBatch: async (asked: { id: string; kid: string }[]): Promise<(SessionState | null)[]> => {
      const rows = await states.execute({ ids: asked.map((read) => read.id), kids: asked.map((read) => read.kid) });
      return answersByPosition(rows, asked.length, 1);
    },
    // A read takes no lock: a failure is every read's.
    retryAlone: () => false,
  });
  const rotateMany = async (rotations: Rotation[]) => {
    const won = new Set(((await db.execute(rotationsStatement(rotations))) as unknown as { rows: { n: number }[] }).rows.map((row) => row.n));
    return rotations.map((_, i) => won.has(i));
  };

  return {
    // The user's row is locked first: sessions opened at once for one user queue, and each
    // counts the ones before it. A sign-in's challenge, counter, session, token and events are
    // one commit; a consumed challenge stays consumed even when the sign-in goes no further.
    create: async (session, token, { maxPerUser, now, audit, assertion }) =>
      db.transaction(async (tx): Promise<SessionCreated> => {
        // First, as passkey deletion does: a deletion and this sign-in queue, never deadlock.
        await lockUser(tx, session.userId);
        if (assertion) {
          if (!(await deleteChallenge(tx, assertion.challenge))) return { outcome: "challenge_not_found" };
          const use = await recordPasskeyUse(tx, assertion.passkeyId, assertion.use);
          if (use !== "recorded") return { outcome: use === "not_found" ? "passkey_not_found" : "passkey_counter_regression" };
        } else if (session.passkeyId !== null) {
          const [passkey] = await tx.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.id, session.passkeyId));
          if (!passkey) return { outcome: "passkey_not_found" };
        }
        await tx.insert(sessions).values({ ...session, lastUsedAt: session.createdAt, verifiedAt: session.createdAt });
        await tx.insert(refreshTokens).values(token);
        const others = (await liveSessionIdsOfUser(tx, session.userId, now)).filter((id) => id !== session.id);
        const evicted = others.slice(maxPerUser - 1);
        await revokeSessions(tx, evicted, "session_limit", now);
        if (audit) {
          if (audit.signedIn) await writeAudit(tx, audit.signedIn);
          for (const id of evicted) await writeAudit(tx, audit.evicted(id));
        }
        return { outcome: "created", evicted };
      }),
    findRefreshToken,
    findState: (id, kid) => readState({ id, kid }),
    countLive: async (now) => (await db.select({ n: count() }).from(sessions).where(isLive(now)))[0]?.n ?? 0,
    listLiveForUser: async (userId, now) =>
      db
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
        .where(and(eq(sessions.userId, userId), isLive(now)))
        .orderBy(sql`${sessions.createdAt} DESC, ${sessions.seq} DESC`),
    setVerifiedAt: async (id, now) => {
      await db.update(sessions).set({ verifiedAt: now }).where(eq(sessions.id, id));
    },
    findOwner: async (id) => (await db.select({ userId: sessions.userId }).from(sessions).where(eq(sessions.id, id)))[0]?.userId ?? null,
    // The rotations asked for in one event-loop turn go as one statement, each gated on its own token.
    rotate: perTurn({ runBatch: rotateMany, retryAlone: isLockConflict }),
    revoke: async (sessionId, reason, now) => db.transaction(async (tx) => (await revokeSessions(tx, [sessionId], reason, now)).length === 1),
    revokeAllForUser: async (userId, reason, now) =>
      db.transaction(async (tx) => {
        const revoked = (
          await tx
            .update(sessions)
            .set({ revokedAt: now, revokedReason: reason })
            .where(and(eq(sessions.userId, userId), isLive(now)))
            .returning({ id: sessions.id })
        ).map((row) => row.id);
        if (revoked.length > 0) await endOidcStateOfSessions(tx, revoked);
        return revoked;
      }),
  };
}

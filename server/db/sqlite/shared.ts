// What the SQLite aggregates share: placeholders, column sets, row mapping, the live-session
// condition, and the statements one aggregate runs inside another's transaction.
import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { SessionEndReason } from "../../../shared/audit-events.ts";
import type { SqliteDb } from "../client.ts";
import { auditEvents, challenges, passkeys, sessions, users } from "../schema.ts";
import type { AuditEventInput, PasskeyUse, PasskeyUseOutcome } from "../store.ts";
import { type GroupCommit, groupCommit } from "./group-commit.ts";
import { endOidcStateOfSession } from "./oidc.ts";

export const p = sql.placeholder;

/**
 * Transactions that read and then write start as writers (BEGIN IMMEDIATE): a deferred one that
 * read a snapshot another connection has since written past could not upgrade, and another
 * process may hold the same file.
 */
export const WRITER = { behavior: "immediate" } as const;

export const userColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  webauthnUserId: users.webauthnUserId,
  role: users.role,
  blockedAt: users.blockedAt,
  createdAt: users.createdAt,
};

export const isLive = (now: ReturnType<typeof p>) => and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now), gt(sessions.idleExpiresAt, now));

export function isUniqueViolation(error: unknown, column: string): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === "SQLITE_CONSTRAINT_UNIQUE" && (e.message ?? "").includes(column);
}

/** Statements other aggregates run inside their own transactions, and the connection's group commit. */
export interface SqliteShared {
  /**
   * Runs a write step in the group commit of this event-loop turn (group-commit.ts): the hot
   * writes (refresh, sign-in) go through it, so they share commits under load and never put the
   * event loop to sleep waiting for the write lock.
   */
  commit: GroupCommit;
  writeAudit(event: AuditEventInput): void;
  /** The user's live sessions, newest first. */
  liveSessionIdsOfUser(userId: string, now: number): string[];
  /** Revokes those of `ids` not revoked yet, ending the apps' grants made in them; returns the ones it revoked. */
  revokeSessions(ids: readonly string[], reason: SessionEndReason, now: number): string[];
  /** Deletes the challenge; false if it was not there (already used, or never issued). */
  deleteChallenge(challenge: string): boolean;
  /** Whether the passkey exists. */
  passkeyExists(id: string): boolean;
  /** The passkeys aggregate's recordUse, runnable inside a session's transaction. */
  recordPasskeyUse(id: string, use: PasskeyUse): PasskeyUseOutcome;
}

export function prepareShared(db: SqliteDb): SqliteShared {
  const insertAudit = db
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
    .prepare();
  const liveSessionIds = db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, p("userId")), isLive(p("now"))))
    .orderBy(desc(sessions.createdAt), desc(sql`${sessions}.rowid`))
    .prepare();
  const revokeSession = db
    .update(sessions)
    .set({ revokedAt: sql`${p("now")}`, revokedReason: sql`${p("reason")}` })
    .where(and(eq(sessions.id, p("id")), isNull(sessions.revokedAt)))
    .prepare();
  const endOidcState = endOidcStateOfSession(db);
  const deleteChallenge = db
    .delete(challenges)
    .where(eq(challenges.challenge, p("challenge")))
    .prepare();
  // WebAuthn §7.2 step 22: the stored counter only grows. Both zero is a passkey without a counter
  // (synced ones report 0). Conditional, so two assertions carrying one counter cannot both pass.
  const recordUse = db
    .update(passkeys)
    .set({ counter: sql`${p("counter")}`, backedUp: sql`${p("backedUp")}`, lastUsedAt: sql`${p("usedAt")}` })
    .where(and(eq(passkeys.id, p("id")), sql`(${passkeys.counter} < ${p("counter")} OR (${passkeys.counter} = 0 AND ${p("counter")} = 0))`))
    .prepare();
  const passkeyExists = db
    .select({ id: passkeys.id })
    .from(passkeys)
    .where(eq(passkeys.id, p("id")))
    .prepare();
  return {
    commit: groupCommit(db.$client),
    deleteChallenge: (challenge) => deleteChallenge.run({ challenge }).changes === 1,
    passkeyExists: (id) => passkeyExists.get({ id }) !== undefined,
    recordPasskeyUse: (id, use) => {
      if (recordUse.run({ id, counter: use.counter, backedUp: use.backedUp ? 1 : 0, usedAt: use.usedAt }).changes === 1) return "recorded";
      return passkeyExists.get({ id }) ? "counter_regression" : "not_found";
    },
    writeAudit: (event) =>
      void insertAudit.run({
        type: event.type,
        userId: event.userId ?? null,
        sessionId: event.sessionId ?? null,
        ip: event.ip ?? null,
        userAgent: event.userAgent ?? null,
        detail: JSON.stringify(event.detail ?? {}),
        createdAt: event.createdAt,
      }),
    liveSessionIdsOfUser: (userId, now) => liveSessionIds.all({ userId, now }).map((row) => row.id),
    revokeSessions: (ids, reason, now) =>
      ids.filter((id) => {
        if (revokeSession.run({ id, reason, now }).changes !== 1) return false;
        endOidcState(id);
        return true;
      }),
  };
}

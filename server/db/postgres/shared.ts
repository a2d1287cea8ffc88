// What the PostgreSQL aggregates share: column sets, row mapping, the live-session condition,
// and the statements one aggregate runs inside another's transaction.
import { and, desc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { SessionEndReason } from "../../../shared/audit-events.ts";
import type { AuditEventInput, PasskeyUse, PasskeyUseOutcome } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { endOidcStateOfSessions } from "./oidc.ts";
import { auditEvents, challenges, passkeys, sessions, users } from "./schema.ts";

/** A transaction, or the database itself: the statements below run in either. */
export type Executor = Pick<PostgresDb, "select" | "insert" | "update" | "delete" | "execute">;

export const userColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  webauthnUserId: users.webauthnUserId,
  role: users.role,
  blockedAt: users.blockedAt,
  createdAt: users.createdAt,
};

export const isLive = (now: number) => and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now), gt(sessions.idleExpiresAt, now));

/** PostgreSQL gave up on a statement for the locks it met: deadlock_detected or serialization_failure. */
export function isLockConflict(error: unknown): boolean {
  const { code } = ((error as { cause?: unknown }).cause ?? error) as { code?: string };
  return code === "40P01" || code === "40001";
}

/** PostgreSQL's unique_violation on `constraint`. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = (error as { cause?: unknown }).cause ?? error;
  const { code, constraint: violated } = e as { code?: string; constraint?: string };
  return code === "23505" && violated === constraint;
}

export function auditRow(event: AuditEventInput): typeof auditEvents.$inferInsert {
  return {
    type: event.type,
    userId: event.userId ?? null,
    sessionId: event.sessionId ?? null,
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
    detail: JSON.stringify(event.detail ?? {}),
    createdAt: event.createdAt,
  };
}

export async function writeAudit(executor: Executor, event: AuditEventInput): Promise<void> {
  await executor.insert(auditEvents).values(auditRow(event));
}

/** The user's live sessions, newest first (insertion order breaks ties within a millisecond). */
export async function liveSessionIdsOfUser(executor: Executor, userId: string, now: number): Promise<string[]> {
  const rows = await executor
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isLive(now)))
    .orderBy(desc(sessions.createdAt), desc(sessions.seq));
  return rows.map((row) => row.id);
}

/** Revokes those of `ids` not revoked yet, ending the apps' grants made in them; returns the ones it revoked. */
export async function revokeSessions(executor: Executor, ids: readonly string[], reason: SessionEndReason, now: number): Promise<string[]> {
  if (ids.length === 0) return [];
  const revoked = await executor
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(inArray(sessions.id, [...ids]), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  const revokedIds = revoked.map((row) => row.id);
  if (revokedIds.length > 0) await endOidcStateOfSessions(executor, revokedIds);
  return revokedIds;
}

/** Locks the user's row until the transaction ends: their passkey and session changes queue behind each other. */
export async function lockUser(executor: Executor, userId: string): Promise<boolean> {
  const rows = await executor.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
  return rows.length === 1;
}

/** Deletes the challenge; false if it was not there (already used, or never issued). */
export async function deleteChallenge(executor: Executor, challenge: string): Promise<boolean> {
  const rows = await executor.delete(challenges).where(eq(challenges.challenge, challenge)).returning({ challenge: challenges.challenge });
  return rows.length === 1;
}

/**
 * WebAuthn §7.2 step 22: the stored counter only grows. Both zero is a passkey without a counter
 * (synced ones report 0). Conditional, so two assertions carrying one counter cannot both pass.
 */
export async function recordPasskeyUse(executor: Executor, id: string, use: PasskeyUse): Promise<PasskeyUseOutcome> {
  const recorded = await executor
    .update(passkeys)
    .set({ counter: use.counter, backedUp: use.backedUp, lastUsedAt: use.usedAt })
    .where(and(eq(passkeys.id, id), sql`(${passkeys.counter} < ${use.counter} OR (${passkeys.counter} = 0 AND ${use.counter} = 0))`))
    .returning({ id: passkeys.id });
  if (recorded.length === 1) return "recorded";
  const exists = await executor.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.id, id));
  return exists.length === 1 ? "counter_regression" : "not_found";
}

// Account administration: roles and blocking, with the rules that keep the platform
// administrable (never zero active admins, never block yourself).
import type { Role } from "../../shared/schemas.ts";
import type { UserRecord } from "../db/store.ts";
import { AppError } from "../errors.ts";
import { recordAuditEvent } from "./audit.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";

export interface AccountChange {
  targetId: string;
  role?: Role;
  blocked?: boolean;
  /** The admin making the change; null for the command line. */
  actorId: string | null;
  /** The operator's escape hatch (command line only): allows leaving no active admin. */
  allowNoActiveAdmin?: boolean;
  context: RequestContext;
}

/** Applies a role and/or block change; returns the user as it is afterwards. */
export async function changeAccount(deps: Pick<AuthDeps, "store" | "clock">, change: AccountChange): Promise<UserRecord> {
  if (change.blocked === true && change.actorId === change.targetId) throw new AppError("cannot_block_self");
  const now = deps.clock.now().getTime();
  const result = await deps.store.users.change({
    id: change.targetId,
    role: change.role,
    blockedAt: change.blocked === undefined ? undefined : change.blocked ? now : null,
    allowNoActiveAdmin: change.allowNoActiveAdmin ?? false,
    now,
  });
  if (result.outcome === "not_found") throw new AppError("not_found", { message: "No such user." });
  if (result.outcome === "last_admin") throw new AppError("last_admin");

  const { before, after, revokedSessionIds } = result;
  const audit = { userId: before.id, detail: { by: change.actorId ?? "command line", ...(change.allowNoActiveAdmin ? { forced: true } : {}) } };
  if (after.role !== before.role) {
    await recordAuditEvent(deps, change.context, { ...audit, type: "role_changed", detail: { ...audit.detail, from: before.role, to: after.role } });
  }
  if (before.blockedAt === null && after.blockedAt !== null) {
    await recordAuditEvent(deps, change.context, { ...audit, type: "user_blocked" });
    await recordAuditEvent(deps, change.context, {
      type: "sessions_revoked_all",
      userId: before.id,
      detail: { reason: "account_blocked", sessionIds: revokedSessionIds },
    });
  } else if (before.blockedAt !== null && after.blockedAt === null) {
    await recordAuditEvent(deps, change.context, { ...audit, type: "user_unblocked" });
  }
  return after;
}

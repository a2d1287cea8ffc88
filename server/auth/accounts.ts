// Account administration: roles and blocking, with the rules that keep the platform
// administrable (never zero active admins, never block yourself).
import type { Role } from "../../shared/schemas.ts";
import type { UserRecord } from "../db/store.ts";
import { AppError } from "../errors.ts";
import { recordAuditEvent } from "./audit.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";
import { revokeAllSessions } from "./sessions.ts";

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
  const target = await deps.store.users.findById(change.targetId);
  if (!target) throw new AppError("not_found", { message: "No such user." });
  if (change.blocked === true && change.actorId === target.id) throw new AppError("cannot_block_self");

  const isActiveAdmin = target.role === "admin" && target.blockedAt === null;
  const losesAdmin = (change.role !== undefined && change.role !== "admin") || change.blocked === true;
  if (isActiveAdmin && losesAdmin && !change.allowNoActiveAdmin && (await deps.store.users.countActiveAdmins()) <= 1) {
    throw new AppError("last_admin");
  }

  const audit = { userId: target.id, detail: { by: change.actorId ?? "command line", ...(change.allowNoActiveAdmin ? { forced: true } : {}) } };
  if (change.role !== undefined && change.role !== target.role) {
    await deps.store.users.setRole(target.id, change.role);
    await recordAuditEvent(deps, change.context, { ...audit, type: "role_changed", detail: { ...audit.detail, from: target.role, to: change.role } });
  }
  if (change.blocked === true && target.blockedAt === null) {
    await deps.store.users.setBlockedAt(target.id, deps.clock.now().getTime());
    await recordAuditEvent(deps, change.context, { ...audit, type: "user_blocked" });
    // A blocked user's sessions end at once: refresh tokens die with them.
    await revokeAllSessions(deps, { userId: target.id, reason: "account_blocked", context: change.context });
  } else if (change.blocked === false && target.blockedAt !== null) {
    await deps.store.users.setBlockedAt(target.id, null);
    await recordAuditEvent(deps, change.context, { ...audit, type: "user_unblocked" });
  }
  return (await deps.store.users.findById(target.id))!;
}

// Admin API: users (search, paging, role, block) and the audit log. Admins only.
import { Hono } from "hono";
import { OPERATIONS } from "../../shared/api.ts";
import { ROUTES } from "../../shared/routes.ts";
import type { AdminUser, AdminUserPage, AuditPage } from "../../shared/schemas.ts";
import type { AppEnv } from "../app-env.ts";
import { changeAccount } from "../auth/accounts.ts";
import type { AuthDeps } from "../auth/deps.ts";
import type { UserRecord } from "../db/store.ts";
import { requireRecentVerification } from "../middleware/require-recent-verification.ts";
import { requireRole } from "../middleware/require-role.ts";
import { requireUser } from "../middleware/require-user.ts";
import { readBody, readQuery, toAuditEvent, toPublicUser } from "./http.ts";

function toAdminUser(user: UserRecord, counts: { passkeyCount: number; liveSessionCount: number }): AdminUser {
  return { ...toPublicUser(user), blocked: user.blockedAt !== null, passkeyCount: counts.passkeyCount, sessionCount: counts.liveSessionCount };
}

export function adminRoutes(deps: AuthDeps) {
  return (
    new Hono<AppEnv>()
      .use("/api/admin/*", requireUser(deps), requireRole("admin"))
      .get(ROUTES.adminUsers, async (c) => {
        const query = readQuery(c, OPERATIONS.adminUsers.query);
        const { users, total } = await deps.store.users.list({ search: query.q, limit: query.limit, offset: query.offset, now: deps.clock.now().getTime() });
        const page: AdminUserPage = { users: users.map((u) => toAdminUser(u, u)), total, limit: query.limit, offset: query.offset };
        return c.json(page);
      })
      // A stolen admin token must not be enough to mint an admin or lock people out: a fresh passkey proof is.
      .patch(ROUTES.adminUser, requireRecentVerification(deps), async (c) => {
        const patch = await readBody(c, OPERATIONS.adminUser.body);
        const user = await changeAccount(deps, { targetId: c.req.param("id"), ...patch, actorId: c.var.auth.userId, context: c.var.requestContext });
        const summary = (await deps.store.users.findSummary(user.id, deps.clock.now().getTime()))!;
        return c.json(toAdminUser(summary, summary));
      })
      .get(ROUTES.adminAudit, async (c) => {
        const query = readQuery(c, OPERATIONS.adminAudit.query);
        const events = await deps.store.audit.list({ userId: query.userId, type: query.type, beforeId: query.before, limit: query.limit });
        const page: AuditPage = {
          events: events.map(toAuditEvent),
          nextBefore: events.length === query.limit ? events.at(-1)!.id : null,
        };
        return c.json(page);
      })
  );
}

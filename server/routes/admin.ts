// Admin API: users (search, paging, role, block), the audit log, and the OpenID Provider's clients. Admins only.
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
import { registerClient, removeClient, toOidcClient } from "../oidc/clients.ts";
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
        const user = await changeAccount(deps, { targetId: c.req.param("id"), ...patch, actorId: c.get("auth").userId, context: c.get("requestContext") });
        const summary = (await deps.store.users.findSummary(user.id, deps.clock.now().getTime()))!;
        return c.json(toAdminUser(summary, summary));
      })
      .get(ROUTES.adminClients, async (c) => c.json((await deps.store.oidc.clients.list()).map(toOidcClient)))
      // Registering an app that may sign people in, or removing one, takes a fresh passkey proof.
      .post(ROUTES.adminClients, requireRecentVerification(deps), async (c) => {
        const input = await readBody(c, OPERATIONS.adminClientCreate.body);
        return c.json(await registerClient(deps, input, { userId: c.get("auth").userId, context: c.get("requestContext") }), 201);
      })
      .delete(ROUTES.adminClient, requireRecentVerification(deps), async (c) => {
        await removeClient(deps, c.req.param("id"), { userId: c.get("auth").userId, context: c.get("requestContext") });
        return c.body(null, 204);
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

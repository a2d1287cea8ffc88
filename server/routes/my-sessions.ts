// GET /api/sessions, DELETE /api/sessions/:id: where a person is signed in, and ending one.
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { SessionInfo } from "../../shared/schemas.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { revokeSession } from "../auth/sessions.ts";
import { isRecentlyVerified } from "../auth/step-up.ts";
import { AppError } from "../errors.ts";
import { requireUser } from "../middleware/require-user.ts";

export function mySessionsRoutes(deps: AuthDeps) {
  const signedIn = requireUser(deps);
  return new Hono<AppEnv>()
    .get(ROUTES.sessions, signedIn, async (c) => {
      const sessions = await deps.store.sessions.listLiveForUser(c.get("auth").userId, deps.clock.now().getTime());
      return c.json(
        sessions.map(
          (s): SessionInfo => ({
            id: s.id,
            createdAt: new Date(s.createdAt).toISOString(),
            lastUsedAt: new Date(s.lastUsedAt).toISOString(),
            expiresAt: new Date(Math.min(s.idleExpiresAt, s.expiresAt)).toISOString(),
            userAgent: s.userAgent,
            ip: s.ip,
            current: s.id === c.get("auth").sessionId,
            passkey: s.passkeyId === null ? null : { id: s.passkeyId, name: s.passkeyName ?? "" },
          }),
        ),
      );
    })
    .delete(ROUTES.session, signedIn, async (c) => {
      const id = c.req.param("id");
      // One rule with sign out everywhere: ending another session needs a fresh passkey proof,
      // or a thief at an unlocked screen could end the owner's other sessions one at a time.
      if (id !== c.get("auth").sessionId && !isRecentlyVerified(deps, c.get("auth").verifiedAt)) throw new AppError("reauthentication_required");
      // Another user's session is answered exactly like a missing one.
      if ((await deps.store.sessions.findOwner(id)) !== c.get("auth").userId) throw new AppError("not_found", { message: "No such session." });
      await revokeSession(deps, { sessionId: id, userId: c.get("auth").userId, reason: "revoked_by_user", context: c.get("requestContext") });
      return c.body(null, 204);
    });
}

// A session's life after sign-in: POST /auth/refresh and /auth/logout (cookie), /auth/logout-all (bearer).
import { Hono } from "hono";
import { OPERATIONS } from "../../shared/api.ts";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { endSessionByRefreshToken, revokeAllSessions, rotateRefreshToken } from "../auth/sessions.ts";
import { AppError } from "../errors.ts";
import { requireRecentVerification } from "../middleware/require-recent-verification.ts";
import { requireUser } from "../middleware/require-user.ts";
import { clearRefreshCookie, readBody, readRefreshCookie, respondWithSession } from "./http.ts";

export function sessionLifecycleRoutes(deps: AuthDeps) {
  return (
    new Hono<AppEnv>()
      // Same-origin checked for every state-changing /auth/* route in app.ts.
      .post(ROUTES.refresh, async (c) => {
        // Which service the token is for is settled before anything rotates: a wrong resource
        // costs the session nothing.
        const { resource } = await readBody(c, OPERATIONS.refresh.body);
        const audience = resource === undefined || resource === deps.config.apiAudience ? undefined : resource;
        if (audience !== undefined && !deps.config.resources.includes(audience)) throw new AppError("invalid_target");
        const presented = readRefreshCookie(c);
        if (!presented) throw new AppError("refresh_token_missing");
        try {
          return respondWithSession(c, deps, await rotateRefreshToken(deps, presented, c.get("requestContext"), audience));
        } catch (error) {
          // A refused token is dead for good: drop it so the browser stops sending it.
          if (error instanceof AppError) clearRefreshCookie(c);
          throw error;
        }
      })
      .post(ROUTES.logout, async (c) => {
        const presented = readRefreshCookie(c);
        if (presented) await endSessionByRefreshToken(deps, presented, c.get("requestContext"));
        clearRefreshCookie(c);
        return c.body(null, 204);
      })
      .post(ROUTES.logoutAll, requireUser(deps), requireRecentVerification(deps), async (c) => {
        await revokeAllSessions(deps, { userId: c.get("auth").userId, reason: "logout_all", context: c.get("requestContext") });
        clearRefreshCookie(c);
        return c.body(null, 204);
      })
  );
}

// A session's life after sign-in: POST /auth/refresh and /auth/logout (cookie), /auth/logout-all (bearer).
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { endSessionByRefreshToken, revokeAllSessions, rotateRefreshToken } from "../auth/sessions.ts";
import { AppError } from "../errors.ts";
import { requireRecentVerification } from "../middleware/require-recent-verification.ts";
import { requireUser } from "../middleware/require-user.ts";
import { clearRefreshCookie, readRefreshCookie, respondWithSession } from "./http.ts";

export function sessionLifecycleRoutes(deps: AuthDeps) {
  return (
    new Hono<AppEnv>()
      // Same-origin checked for every state-changing /auth/* route in app.ts.
      .post(ROUTES.refresh, async (c) => {
        const presented = readRefreshCookie(c);
        if (!presented) throw new AppError("refresh_token_missing");
        try {
          return respondWithSession(c, deps, await rotateRefreshToken(deps, presented, c.var.requestContext));
        } catch (error) {
          // A refused token is dead for good: drop it so the browser stops sending it.
          if (error instanceof AppError) clearRefreshCookie(c);
          throw error;
        }
      })
      .post(ROUTES.logout, async (c) => {
        const presented = readRefreshCookie(c);
        if (presented) await endSessionByRefreshToken(deps, presented, c.var.requestContext);
        clearRefreshCookie(c);
        return c.body(null, 204);
      })
      .post(ROUTES.logoutAll, requireUser(deps), requireRecentVerification(deps), async (c) => {
        await revokeAllSessions(deps, { userId: c.var.auth.userId, reason: "logout_all", context: c.var.requestContext });
        clearRefreshCookie(c);
        return c.body(null, 204);
      })
  );
}

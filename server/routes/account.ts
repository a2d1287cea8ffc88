// GET /api/me and GET /api/me/activity: the signed-in user, and their own security timeline.
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { requireUser } from "../middleware/require-user.ts";
import { toAuditEvent, toPublicUser } from "./http.ts";

const ACTIVITY_LIMIT = 50;

export function accountRoutes(deps: AuthDeps) {
  const signedIn = requireUser(deps);
  return (
    new Hono<AppEnv>()
      // requireUser read the user with the session: one storage read for the whole request.
      .get(ROUTES.me, signedIn, (c) => c.json(toPublicUser(c.get("auth").user)))
      .get(ROUTES.myActivity, signedIn, async (c) => {
        const events = await deps.store.audit.list({ userId: c.get("auth").userId, limit: ACTIVITY_LIMIT });
        return c.json(events.map(toAuditEvent));
      })
  );
}

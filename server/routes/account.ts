// GET /api/me: the signed-in user.
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { requireUser } from "../middleware/require-user.ts";
import { toPublicUser } from "./http.ts";

export function accountRoutes(deps: AuthDeps) {
  // requireUser read the user with the session: one storage read for the whole request.
  return new Hono<AppEnv>().get(ROUTES.me, requireUser(deps), (c) => c.json(toPublicUser(c.var.auth.user)));
}

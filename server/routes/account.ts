// GET /api/me: the signed-in user.
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../errors.ts";
import { requireUser } from "../middleware/require-user.ts";
import { toPublicUser } from "./http.ts";

export function accountRoutes(deps: AuthDeps) {
  return new Hono<AppEnv>().get(ROUTES.me, requireUser(deps), async (c) => {
    const user = await deps.store.users.findById(c.var.auth.userId);
    if (!user) throw new AppError("token_invalid", { message: "The token's user no longer exists." });
    return c.json(toPublicUser(user));
  });
}

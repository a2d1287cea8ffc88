// requireRole(...roles): after requireUser(), 403 unless the session's current role is allowed.
import { createMiddleware } from "hono/factory";
import type { Role } from "../../shared/schemas.ts";
import type { AppEnv } from "../app-env.ts";
import { AppError } from "../errors.ts";

/** Use after requireUser(): 403 `forbidden` unless the token's role is one of `roles`. */
export function requireRole(...roles: Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!roles.includes(c.get("auth").role)) throw new AppError("forbidden");
    await next();
  });
}

// Bearer authentication: verifies the access token, checks its session is still live (not
// revoked, expired or blocked), and sets c.var.auth with the user's current role.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { assertSessionLive } from "../auth/session-state.ts";
import { isRecentlyVerified } from "../auth/step-up.ts";
import { AppError } from "../errors.ts";
import type { Role } from "../../shared/schemas.ts";

export function requireUser(deps: Pick<AuthDeps, "config" | "clock" | "store" | "accessTokens">) {
  const challenge = `Bearer realm="${deps.config.issuer}", error="invalid_token"`;
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(header);
    try {
      if (!match) throw new AppError("token_missing");
      const claims = await deps.accessTokens.verify(match[1]!);
      c.set("auth", { ...claims, ...(await assertSessionLive(deps, claims)) });
    } catch (error) {
      if (error instanceof AppError && error.status === 401) {
        // RFC 6750 §3: every 401 on a bearer route says how to authenticate.
        throw new AppError(error.code, { message: error.message, headers: { "WWW-Authenticate": challenge } });
      }
      throw error;
    }
    await next();
  });
}

/** Use after requireUser(): 403 `forbidden` unless the token's role is one of `roles`. */
export function requireRole(...roles: Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!roles.includes(c.var.auth.role)) throw new AppError("forbidden");
    await next();
  });
}

/** Use after requireUser(): 403 `reauthentication_required` unless the session verified the user in the last few minutes. */
export function requireRecentVerification(deps: Pick<AuthDeps, "clock">) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!isRecentlyVerified(deps, c.var.auth.verifiedAt)) throw new AppError("reauthentication_required");
    await next();
  });
}

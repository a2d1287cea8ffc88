// Bearer authentication: verifies the access token, checks its session is still live (not
// revoked, expired or blocked), and sets c.get("auth") with the user's current role.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { assertSessionLive } from "../auth/session-state.ts";
import { AppError } from "../errors.ts";

export function requireUser(deps: Pick<AuthDeps, "config" | "clock" | "store" | "keys" | "accessTokens">) {
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

// requireRecentVerification(deps): after requireUser(), 403 unless the session proved the person
// with a passkey recently (a sign-in or a step-up).
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { isRecentlyVerified } from "../auth/step-up.ts";
import { AppError } from "../errors.ts";

/** Use after requireUser(): 403 `reauthentication_required` unless the session verified the user in the last few minutes. */
export function requireRecentVerification(deps: Pick<AuthDeps, "clock">) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!isRecentlyVerified(deps, c.get("auth").verifiedAt)) throw new AppError("reauthentication_required");
    await next();
  });
}

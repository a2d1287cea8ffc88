// POST /auth/step-up/options and /auth/step-up/verify: prove user verification again (bearer).
import { Hono } from "hono";
import { OPERATIONS } from "../../shared/api.ts";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { finishStepUp, startStepUp } from "../auth/step-up.ts";
import { requireUser } from "../middleware/require-user.ts";
import { readBody } from "./http.ts";

export function stepUpRoutes(deps: AuthDeps) {
  const signedIn = requireUser(deps);
  return new Hono<AppEnv>()
    .post(ROUTES.stepUpOptions, signedIn, async (c) => c.json(await startStepUp(deps, c.get("auth").userId)))
    .post(ROUTES.stepUpVerify, signedIn, async (c) => {
      const response = await readBody(c, OPERATIONS.stepUpVerify.body);
      const { userId, sessionId } = c.get("auth");
      await finishStepUp(deps, { response, userId, sessionId, context: c.get("requestContext") });
      return c.body(null, 204);
    });
}

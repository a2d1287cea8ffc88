// POST /auth/login/options and /auth/login/verify: sign-in with a passkey.
import { Hono } from "hono";
import { OPERATIONS } from "../../shared/api.ts";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import { finishLogin, startLogin } from "../auth/login.ts";
import { limitAccount } from "../middleware/rate-limit.ts";
import { readBody, respondWithSession, type RouteDeps } from "./http.ts";

export function passkeyLoginRoutes(deps: RouteDeps) {
  return new Hono<AppEnv>()
    .post(ROUTES.loginOptions, async (c) => {
      const request = await readBody(c, OPERATIONS.loginOptions.body);
      if (request.username !== undefined) await limitAccount(deps.rateLimits, request.username);
      return c.json(await startLogin(deps, request));
    })
    .post(ROUTES.loginVerify, async (c) => {
      const response = await readBody(c, OPERATIONS.loginVerify.body);
      const session = await finishLogin(deps, response, c.get("requestContext"));
      return respondWithSession(c, deps, session);
    });
}

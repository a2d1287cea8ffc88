// POST /auth/register/options and /auth/register/verify: sign-up with a passkey.
import { Hono } from "hono";
import { OPERATIONS } from "../../shared/api.ts";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import { finishRegistration, startRegistration } from "../auth/registration.ts";
import { limitAccount } from "../middleware/rate-limit.ts";
import { readBody, respondWithSession, type RouteDeps } from "./http.ts";

export function registrationRoutes(deps: RouteDeps) {
  return new Hono<AppEnv>()
    .post(ROUTES.registerOptions, async (c) => {
      const request = await readBody(c, OPERATIONS.registerOptions.body);
      await limitAccount(deps.rateLimits, request.username);
      return c.json(await startRegistration(deps, request));
    })
    .post(ROUTES.registerVerify, async (c) => {
      const response = await readBody(c, OPERATIONS.registerVerify.body);
      const { session, recoveryCodes } = await finishRegistration(deps, response, c.get("requestContext"));
      // Shown to the person once, right after sign-up; only their HMACs are kept.
      return respondWithSession(c, deps, session, { extra: { recoveryCodes } });
    });
}

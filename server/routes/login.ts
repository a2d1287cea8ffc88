// POST /auth/login/options and /auth/login/verify: sign-in with a passkey.
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import { AuthenticationResponse, LoginOptionsRequest } from "../../shared/schemas.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { finishLogin, startLogin } from "../auth/login.ts";
import { readBody, respondWithSession } from "./http.ts";

export function passkeyLoginRoutes(deps: AuthDeps) {
  return new Hono<AppEnv>()
    .post(ROUTES.loginOptions, async (c) => {
      const request = await readBody(c, LoginOptionsRequest);
      return c.json(await startLogin(deps, request));
    })
    .post(ROUTES.loginVerify, async (c) => {
      const response = await readBody(c, AuthenticationResponse);
      const session = await finishLogin(deps, response, c.var.requestContext);
      return respondWithSession(c, deps, session);
    });
}

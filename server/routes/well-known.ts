// Public endpoints: the JWKS and health (the OpenID discovery document is the provider's: routes/oidc.ts).
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";

const JWKS_MAX_AGE_SECONDS = 300;

export function wellKnownRoutes(deps: Pick<AuthDeps, "config" | "keys">) {
  return new Hono<AppEnv>()
    .get(ROUTES.jwks, (c) => {
      c.header("Cache-Control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      return c.json(deps.keys.jwks);
    })
    .get(ROUTES.health, (c) => c.json({ status: "ok" }));
}

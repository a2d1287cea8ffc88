// Public discovery endpoints: JWKS, OpenID-style metadata, health.
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { SIGNING_ALG } from "../auth/signing-keys.ts";

const JWKS_MAX_AGE_SECONDS = 300;

export function wellKnownRoutes(deps: Pick<AuthDeps, "config" | "keys">) {
  const { issuer } = deps.config;
  return new Hono<AppEnv>()
    .get(ROUTES.jwks, (c) => {
      c.header("Cache-Control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      return c.json(deps.keys.jwks);
    })
    .get(ROUTES.openidConfiguration, (c) =>
      c.json({
        issuer,
        jwks_uri: `${issuer}${ROUTES.jwks}`,
        // RFC 9068 access tokens are signed with this algorithm; verifiers should pin it.
        access_token_signing_alg_values_supported: [SIGNING_ALG],
      }),
    )
    .get(ROUTES.health, (c) => c.json({ status: "ok" }));
}

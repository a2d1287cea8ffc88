// A separate service that trusts only the platform's JWKS: what a developer writes to accept
// "passkey in, token out" tokens. Imports nothing of the platform's server, only ../../verifier.
import { Hono, type MiddlewareHandler } from "hono";
import { createTokenVerifier, type AccessTokenClaims, type TokenVerifier, type TokenVerifierOptions } from "../../verifier/index.ts";

type Env = { Variables: { claims: AccessTokenClaims } };

/** Answers 401 (or 503) unless the request has a valid token; 403 unless it has `role` when one is asked. */
function requireToken(verifier: TokenVerifier, role?: AccessTokenClaims["role"]): MiddlewareHandler<Env> {
  return async (c, next) => {
    const result = await verifier.verify(c.req.header("authorization"));
    if (!result.ok) {
      const { code, message, status } = result.error;
      if (status === 401) c.header("WWW-Authenticate", `Bearer error="invalid_token"`);
      return c.json({ error: { code, message } }, status);
    }
    if (role && result.claims.role !== role) {
      return c.json({ error: { code: "forbidden", message: `This needs the ${role} role.` } }, 403);
    }
    c.set("claims", result.claims);
    await next();
  };
}

export function createResourceServer(options: TokenVerifierOptions) {
  const verifier = createTokenVerifier(options);
  return new Hono<Env>()
    .get("/public", (c) => c.json({ message: "Anyone may read this." }))
    .get("/me", requireToken(verifier), (c) => {
      const { sub, role, sid, exp } = c.var.claims;
      return c.json({ userId: sub, role, sessionId: sid, expiresAt: new Date(exp * 1000).toISOString() });
    })
    .get("/admin/report", requireToken(verifier, "admin"), (c) => c.json({ report: "Only admins see this.", requestedBy: c.var.claims.sub }));
}

// Verify this platform's access tokens in your own Node service, from the published JWKS alone.
//
//   import { createTokenVerifier } from "./verifier/index.ts";
//   const verifier = createTokenVerifier({ issuer: "https://auth.example.com", audience: "https://api.example.com" });
//   const result = await verifier.verify(request.headers.authorization);
//   if (!result.ok) return reply(result.error.status, { error: { code: result.error.code, message: result.error.message } });
//   result.claims.sub, result.claims.role ...
//
// Keys come from the issuer's JWKS through jose's remote key set: cached, fetched again when a
// token names a kid the cache lacks (the issuer rotated), at most once per `refetchCooldownMs`.
// The algorithm (ES256), issuer, audience and type (at+jwt, RFC 9068) are pinned, and every
// claim the platform issues is required. The audience is this service's own identifier, which
// the platform's operator lists in RESOURCES (RFC 8707): a token asked for another service, or
// for the platform's own API, is refused here. Depends only on jose.
//
// What this cannot see: revocation. A signed-out or blocked session's token stays valid here
// until it expires (ACCESS_TOKEN_TTL on the issuer, 10 minutes by default).
import { createRemoteJWKSet, errors, jwtVerify } from "jose";

export interface TokenVerifierOptions {
  /** The platform's origin, exactly as its tokens' `iss` (its first ORIGIN). */
  issuer: string;
  /**
   * This service's identifier, exactly as listed in the platform's RESOURCES (RFC 8707): the
   * only `aud` accepted. Clients get tokens for it by refreshing with `{"resource": "<it>"}`.
   * A list is accepted too, for a migration (see the README); keep it to one afterwards.
   */
  audience: string | string[];
  /** Where the keys are; `${issuer}/.well-known/jwks.json` by default. */
  jwksUri?: string;
  /** Refetch the JWKS for an unknown kid at most this often (default 5000 ms). */
  refetchCooldownMs?: number;
  /** Seconds of clock difference with the issuer to tolerate on exp/iat (default 5). */
  clockToleranceSeconds?: number;
  /** The current time (tests); the system clock by default. */
  now?: () => Date;
}

export interface AccessTokenClaims {
  /** The user's id. */
  sub: string;
  /** The session the token belongs to. */
  sid: string;
  role: "user" | "admin";
  /** Epoch seconds: when the session was opened with a passkey. */
  authTime: number;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
  clientId: string;
}

export type TokenErrorCode = "token_missing" | "token_invalid" | "token_expired" | "jwks_unavailable";

export class TokenError extends Error {
  readonly code: TokenErrorCode;
  /** The HTTP status to answer with: 401, or 503 when the issuer's keys cannot be fetched. */
  readonly status: 401 | 503;
  constructor(code: TokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TokenError";
    this.code = code;
    this.status = code === "jwks_unavailable" ? 503 : 401;
  }
}

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; error: TokenError };

export interface TokenVerifier {
  /** Takes a bare token or a whole `Authorization: Bearer …` header value. */
  verify(tokenOrAuthorization: string | null | undefined): Promise<VerifyResult>;
}

const REQUIRED_CLAIMS = ["iss", "aud", "sub", "sid", "role", "jti", "iat", "exp", "auth_time", "client_id"];

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const issuer = options.issuer.replace(/\/$/, "");
  const keys = createRemoteJWKSet(new URL(options.jwksUri ?? `${issuer}/.well-known/jwks.json`), {
    cooldownDuration: options.refetchCooldownMs ?? 5_000,
  });
  return {
    async verify(input) {
      const token = bearerToken(input);
      if (!token) return { ok: false, error: new TokenError("token_missing", "No bearer token was sent.") };
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: ["ES256"],
          issuer,
          audience: options.audience,
          typ: "at+jwt",
          requiredClaims: REQUIRED_CLAIMS,
          clockTolerance: options.clockToleranceSeconds ?? 5,
          currentDate: options.now?.(),
        });
        const { sub, sid, role, jti, iat, exp, iss, aud, auth_time: authTime, client_id: clientId } = payload;
        if (typeof sid !== "string" || (role !== "user" && role !== "admin") || typeof authTime !== "number" || typeof clientId !== "string") {
          return { ok: false, error: new TokenError("token_invalid", "The token's claims are malformed.") };
        }
        return { ok: true, claims: { sub: sub!, sid, role, authTime, jti: jti!, iat: iat!, exp: exp!, iss: iss!, aud: aud!, clientId } };
      } catch (error) {
        return { ok: false, error: toTokenError(error) };
      }
    },
  };
}

function bearerToken(input: string | null | undefined): string | undefined {
  if (!input) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(input.trim());
  if (match) return match[1];
  return input.includes(" ") ? undefined : input.trim();
}

function toTokenError(error: unknown): TokenError {
  if (error instanceof errors.JWTExpired) return new TokenError("token_expired", "The token has expired.", { cause: error });
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new TokenError("token_invalid", "The token was signed with a key the issuer does not publish.", { cause: error });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new TokenError("token_invalid", `The token's "${error.claim}" claim is not acceptable: ${error.reason}.`, { cause: error });
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || (error instanceof TypeError && /fetch/i.test(error.message))) {
    return new TokenError("jwks_unavailable", "The issuer's keys could not be fetched.", { cause: error });
  }
  return new TokenError("token_invalid", "The token is not a valid access token of this issuer.", { cause: error });
}

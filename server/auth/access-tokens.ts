// Access tokens: JWTs per RFC 9068 (typ at+jwt), ES256 with the current signing key.
import { randomUUID } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT, type JWTHeaderParameters } from "jose";
import type { Role } from "../../shared/schemas.ts";
import { epochSeconds } from "../clock.ts";
import { AppError } from "../errors.ts";
import type { AuthDeps } from "./deps.ts";
import { SIGNING_ALG } from "./signing-keys.ts";

const ACCESS_TOKEN_TYPE = "at+jwt";

export interface AccessClaims {
  userId: string;
  sessionId: string;
  role: Role;
  /** Epoch seconds when the session was opened with a passkey. */
  authTime: number;
  expiresAt: number;
  /** The signing key's id, so every request can check the key was not revoked since. */
  kid: string;
}

/** An access token for `audience`: this platform's API unless a registered resource was asked for. */
export async function issueAccessToken(
  deps: Pick<AuthDeps, "config" | "clock" | "keys">,
  subject: { userId: string; sessionId: string; role: Role; authTime: number },
  audience: string = deps.config.apiAudience,
): Promise<string> {
  const issuedAt = epochSeconds(deps.clock.now());
  return new SignJWT({
    sid: subject.sessionId,
    role: subject.role,
    auth_time: subject.authTime,
    // RFC 9068 §2.2 requires client_id: the web app on the first origin.
    client_id: deps.config.issuer,
  })
    .setProtectedHeader({ alg: SIGNING_ALG, typ: ACCESS_TOKEN_TYPE, kid: deps.keys.current.kid })
    .setIssuer(deps.config.issuer)
    .setAudience(audience)
    .setSubject(subject.userId)
    .setJti(randomUUID())
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + deps.config.accessTokenTtlSeconds)
    .sign(deps.keys.current.privateKey);
}

/**
 * Verifies signature, alg, typ, iss, aud, exp and the claims we rely on. Throws AppError token_*.
 * Only tokens for this platform's API are accepted: one issued for a downstream service is not.
 */
export async function verifyAccessToken(deps: Pick<AuthDeps, "config" | "clock" | "keys">, token: string): Promise<AccessClaims> {
  try {
    const { payload, protectedHeader } = await jwtVerify(
      token,
      async (header: JWTHeaderParameters) => {
        // Only our own keys by kid: jku, x5u and embedded jwk headers are never followed.
        const key = typeof header.kid === "string" ? await deps.keys.publicKey(header.kid) : undefined;
        if (!key) throw new AppError("token_invalid", { message: "The access token was signed with an unknown key." });
        return key;
      },
      {
        algorithms: [SIGNING_ALG],
        typ: ACCESS_TOKEN_TYPE,
        issuer: deps.config.issuer,
        audience: deps.config.apiAudience,
        requiredClaims: ["sub", "sid", "role", "jti", "iat", "exp", "auth_time"],
        // Also refuses an iat in the future, and any token older than our TTL whatever its exp says.
        maxTokenAge: deps.config.accessTokenTtlSeconds,
        currentDate: deps.clock.now(),
      },
    );
    const { sub, sid, role, auth_time: authTime, exp } = payload;
    if (typeof sub !== "string" || typeof sid !== "string" || (role !== "user" && role !== "admin") || typeof authTime !== "number") {
      throw new AppError("token_invalid", { message: "The access token's claims are malformed." });
    }
    return { userId: sub, sessionId: sid, role, authTime, expiresAt: exp!, kid: protectedHeader.kid! };
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new AppError("token_expired");
    throw new AppError("token_invalid", { cause: error });
  }
}

export interface AccessTokenVerifier {
  verify(token: string): Promise<AccessClaims>;
}

/** Entries in the verified-token cache; past this the oldest is dropped. */
export const MAX_CACHED_TOKENS = 10_000;

/**
 * verifyAccessToken with a bounded cache of tokens already verified, keyed by the exact token
 * string and valid only until the token's exp. It caches the signature check alone: whether the
 * token's session is still live is read from storage on every request (requireUser), so
 * revoking a session needs no cache invalidation.
 */
export function createAccessTokenVerifier(deps: Pick<AuthDeps, "config" | "clock" | "keys">): AccessTokenVerifier {
  const verified = new Map<string, AccessClaims>();
  return {
    async verify(token) {
      const nowSeconds = deps.clock.now().getTime() / 1000;
      const cached = verified.get(token);
      if (cached) {
        if (cached.expiresAt > nowSeconds) return cached;
        verified.delete(token);
        throw new AppError("token_expired");
      }
      const claims = await verifyAccessToken(deps, token);
      if (verified.size >= MAX_CACHED_TOKENS) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
      return claims;
    },
  };
}

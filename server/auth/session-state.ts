// Checks, per bearer request, that the token's session is still live: revoking a session,
// signing out everywhere or blocking an account takes effect on our API at once, and a changed
// role counts from the next request, and so does revoking the key that signed the token. (Other
// services verifying the JWT alone accept it until exp, or until their JWKS cache drops a revoked key.)
import type { Role } from "../../shared/schemas.ts";
import { AppError } from "../errors.ts";
import type { AccessClaims } from "./access-tokens.ts";
import type { AuthDeps } from "./deps.ts";

export interface LiveSession {
  /** The role the user has now (not the one in the token). */
  role: Role;
  /** When the session last verified the user with a passkey. */
  verifiedAt: number;
  user: { id: string; username: string; displayName: string; role: Role; createdAt: number };
}

/** The session's current state and user; throws session_revoked, session_expired, account_blocked or token_invalid (revoked key). */
export async function assertSessionLive(deps: Pick<AuthDeps, "store" | "clock" | "keys">, claims: AccessClaims): Promise<LiveSession> {
  const state = await deps.store.sessions.findState(claims.sessionId, claims.kid);
  if (state?.keyRevoked) {
    // Revoked, perhaps by `npm run keys:revoke` in another process: stop trusting (and, if it
    // was ours, signing with) it here too.
    await deps.keys.reloadSoon(claims.kid);
    throw new AppError("token_invalid", { message: "The access token was signed with a revoked key." });
  }
  if (!state || state.userId !== claims.userId) throw new AppError("session_revoked");
  // Blocked first: blocking also revoked the session, but the person should learn why.
  if (state.blockedAt !== null) throw new AppError("account_blocked");
  if (state.revokedAt !== null) throw new AppError("session_revoked");
  const now = deps.clock.now().getTime();
  if (state.expiresAt <= now || state.idleExpiresAt <= now) throw new AppError("session_expired");
  return {
    role: state.role,
    verifiedAt: state.verifiedAt,
    user: { id: state.userId, username: state.username, displayName: state.displayName, role: state.role, createdAt: state.userCreatedAt },
  };
}

// Sessions and their refresh tokens: opaque 256-bit secrets stored as SHA-256 hashes, rotated on
// every use, with reuse detection (RFC 9700 §4.14.2) and a short grace for a lost response: a
// retry within it gets the very successor the first answer carried, so a session never forks.
import { createHmac, randomUUID } from "node:crypto";
import type { NewRefreshToken, PasskeyUse, RefreshTokenLookup, UserRecord } from "../db/store.ts";
import { AppError } from "../errors.ts";
import { issueAccessToken } from "./access-tokens.ts";
import { auditEvent, recordAuditEvent } from "./audit.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";
import { hashSecretToken, randomToken } from "./secrets.ts";
import type { SessionEndReason } from "../../shared/audit-events.ts";
import { REFRESH_GRACE_SECONDS } from "../../shared/limits.ts";

const REFRESH_TOKEN_BYTES = 32;
/** A racing rotation makes the first decision stale; the second read sees the token used. */
const MAX_ROTATION_ATTEMPTS = 2;

export interface IssuedSession {
  sessionId: string;
  user: UserRecord;
  /** Epoch seconds when the session was opened with a passkey. */
  authTime: number;
  refreshToken: string;
  /** How long the cookie may live: until the idle or absolute expiry, whichever is first. */
  refreshTokenMaxAgeSeconds: number;
  /** The session's access token: signed while the session's commit ran, and handed out only after it. */
  accessToken: Promise<string>;
}

export const hashRefreshToken = hashSecretToken;

function firstRefreshToken(sessionId: string, now: number): { token: string; record: NewRefreshToken } {
  const token = randomToken(REFRESH_TOKEN_BYTES);
  return { token, record: { id: randomUUID(), sessionId, tokenHash: hashRefreshToken(token), parentId: null, createdAt: now } };
}

/**
 * A token's successor is HMAC-SHA256(presented token) under a key derived from
 * KEY_ENCRYPTION_SECRET: as unpredictable as a random one to anyone without that secret, and the
 * same every time it is computed, so a retry of the presented token within the grace period is
 * answered with the successor the lost answer carried without the token being stored anywhere.
 */
function successorOf(deps: Pick<AuthDeps, "keys">, presented: string): string {
  return createHmac("sha256", deps.keys.refreshSuccessorKey).update(presented).digest("base64url");
}

/**
 * Signs the access token of a session about to be committed, while its commit runs rather than
 * after it. The token is released only with an IssuedSession, after the commit, and dropped unseen
 * when the commit refuses.
 *
 * The signatures asked for during one turn of the event loop start together at its end
 * (setImmediate), just before that turn's group commit: setImmediate callbacks run in the order
 * they were queued, and a session's write is asked for after its signature (a turn whose first
 * write was another request's, a sign-in's challenge say, commits first and signs after, as every
 * turn used to). jose signs through WebCrypto on libuv's threads, so they sign while the event
 * loop commits, and wake once for the turn, not once per request.
 * Measured here: a lone refresh answered 1.3-1.6x sooner, and a saturated one no slower (started
 * one by one as requests arrived, the signatures cost it 10%).
 */
function signWhileCommitting(
  deps: AuthDeps,
  subject: { userId: string; sessionId: string; role: UserRecord["role"]; authTime: number },
  audience?: string,
): Promise<string> {
  const signing = new Promise<string>((resolve, reject) => {
    if (signaturesThisTurn.length === 0) setImmediate(startSignatures);
    signaturesThisTurn.push(() => issueAccessToken(deps, subject, audience).then(resolve, reject));
  });
  signing.catch(() => {}); // a commit that fails first drops it; whoever answers awaits it and sees its error
  return signing;
}

let signaturesThisTurn: (() => void)[] = [];

function startSignatures() {
  const batch = signaturesThisTurn;
  signaturesThisTurn = [];
  for (const start of batch) start();
}

function idleExpiry(deps: Pick<AuthDeps, "config">, now: number, absoluteExpiresAt: number): number {
  return Math.min(now + deps.config.refreshTokenTtlSeconds * 1000, absoluteExpiresAt);
}

/**
 * Opens a session after a passkey ceremony, in one commit with its events (`signed_in` when
 * `signedIn` says which ceremony; `session_evicted` for the oldest sessions past
 * MAX_SESSIONS_PER_USER, which it revokes) and, for a sign-in, its challenge consumed and the
 * passkey's use recorded (`assertion`).
 * Throws AppError challenge_not_found, passkey_counter_regression or passkey_not_found (the passkey
 * deleted while the ceremony ran): a refusal, never a 500.
 */
export async function startSession(
  deps: AuthDeps,
  input: {
    user: UserRecord;
    passkeyId: string;
    context: RequestContext;
    signedIn?: { ceremony: "authentication" | "registration" };
    assertion?: { challenge: string; use: PasskeyUse };
  },
): Promise<IssuedSession> {
  const now = deps.clock.now().getTime();
  const sessionId = randomUUID();
  const expiresAt = now + deps.config.sessionMaxAgeSeconds * 1000;
  const idleExpiresAt = idleExpiry(deps, now, expiresAt);
  const { token, record } = firstRefreshToken(sessionId, now);
  const { user, passkeyId, context } = input;
  const authTime = Math.floor(now / 1000);
  const accessToken = signWhileCommitting(deps, { userId: user.id, sessionId, role: user.role, authTime });
  const created = await deps.store.sessions.create(
    { id: sessionId, userId: user.id, passkeyId, createdAt: now, idleExpiresAt, expiresAt, userAgent: context.userAgent, ip: context.ip },
    record,
    {
      maxPerUser: deps.config.maxSessionsPerUser,
      now,
      assertion: input.assertion && { challenge: input.assertion.challenge, passkeyId, use: input.assertion.use },
      audit: {
        signedIn:
          input.signedIn &&
          auditEvent(deps, context, { type: "signed_in", userId: user.id, sessionId, detail: { passkeyId, ceremony: input.signedIn.ceremony } }),
        evicted: (evictedId) =>
          auditEvent(deps, context, {
            type: "session_evicted",
            userId: user.id,
            sessionId: evictedId,
            detail: { reason: "session_limit", newSessionId: sessionId },
          }),
      },
    },
  );
  if (created.outcome !== "created") throw new AppError(created.outcome);
  return {
    sessionId,
    user: input.user,
    authTime,
    refreshToken: token,
    refreshTokenMaxAgeSeconds: Math.floor((idleExpiresAt - now) / 1000),
    accessToken,
  };
}

/**
 * Exchanges a refresh token for its successor in the same session, with an access token for
 * `audience` (this platform's API when omitted). Throws AppError on any refusal.
 */
export async function rotateRefreshToken(deps: AuthDeps, presented: string, context: RequestContext, audience?: string): Promise<IssuedSession> {
  const tokenHash = hashRefreshToken(presented);
  for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
    const found = await deps.store.sessions.findRefreshToken(tokenHash);
    if (!found) throw new AppError("refresh_token_invalid");
    const now = deps.clock.now().getTime();
    await assertSessionUsable(deps, found, now, context);

    const authTime = Math.floor(found.session.createdAt / 1000);
    const subject = { userId: found.user.id, sessionId: found.sessionId, role: found.user.role, authTime };
    const issued = (refreshToken: string, idleExpiresAt: number, accessToken: Promise<string>): IssuedSession => ({
      sessionId: found.sessionId,
      user: found.user,
      authTime,
      refreshToken,
      refreshTokenMaxAgeSeconds: Math.floor((idleExpiresAt - now) / 1000),
      accessToken,
    });

    if (found.usedAt === null) {
      const idleExpiresAt = idleExpiry(deps, now, found.session.expiresAt);
      const token = successorOf(deps, presented);
      const record = { id: randomUUID(), sessionId: found.sessionId, tokenHash: hashRefreshToken(token), parentId: found.id, createdAt: now };
      const audit = auditEvent(deps, context, { type: "token_refreshed", userId: found.user.id, sessionId: found.sessionId });
      const accessToken = signWhileCommitting(deps, subject, audience);
      const rotated = await deps.store.sessions.rotate({ presentedId: found.id, successor: record, idleExpiresAt, now, audit });
      if (!rotated) continue; // A concurrent request rotated it first: decide again on fresh state.
      return issued(token, idleExpiresAt, accessToken);
    }

    // Already exchanged. Within the grace period, and only while its successor is unused, this is
    // a lost response or a client racing itself, not theft: the retry gets that same successor
    // (nothing is written but the audit event), so however the answers land, one token is live.
    const token = successorOf(deps, presented);
    const successor = now - found.usedAt <= REFRESH_GRACE_SECONDS * 1000 ? await deps.store.sessions.findRefreshToken(hashRefreshToken(token)) : null;
    if (successor?.parentId !== found.id || successor.usedAt !== null) return revokeForReuse(deps, found, context);
    const accessToken = signWhileCommitting(deps, subject, audience);
    await recordAuditEvent(deps, context, {
      type: "token_refreshed",
      userId: found.user.id,
      sessionId: found.sessionId,
      detail: { retryOf: found.id, usedAt: found.usedAt },
    });
    return issued(token, found.session.idleExpiresAt, accessToken);
  }
  throw new AppError("refresh_token_invalid", { message: "The session changed while refreshing; sign in again." });
}

async function assertSessionUsable(deps: AuthDeps, found: RefreshTokenLookup, now: number, context: RequestContext) {
  // Blocked first: the person should learn why, even though blocking already ended the session.
  if (found.user.blockedAt !== null) {
    await revokeSession(deps, { sessionId: found.sessionId, userId: found.user.id, reason: "account_blocked", context });
    throw new AppError("account_blocked");
  }
  if (found.session.revokedAt !== null) throw new AppError("session_revoked");
  if (found.session.expiresAt <= now || found.session.idleExpiresAt <= now) throw new AppError("session_expired");
}

async function revokeForReuse(deps: AuthDeps, found: RefreshTokenLookup, context: RequestContext): Promise<never> {
  const now = deps.clock.now().getTime();
  await deps.store.sessions.revoke(found.sessionId, "refresh_token_reused", now);
  await recordAuditEvent(deps, context, {
    type: "refresh_token_reused",
    userId: found.user.id,
    sessionId: found.sessionId,
    detail: { tokenId: found.id, usedAt: found.usedAt },
  });
  throw new AppError("refresh_token_reused");
}

export async function revokeSession(
  deps: Pick<AuthDeps, "store" | "clock">,
  input: { sessionId: string; userId: string; reason: SessionEndReason; context: RequestContext },
): Promise<boolean> {
  const revoked = await deps.store.sessions.revoke(input.sessionId, input.reason, deps.clock.now().getTime());
  if (revoked) {
    await recordAuditEvent(deps, input.context, {
      type: "session_revoked",
      userId: input.userId,
      sessionId: input.sessionId,
      detail: { reason: input.reason },
    });
  }
  return revoked;
}

/** Sign-out: ends the session the refresh token belongs to, whatever state the token is in. */
export async function endSessionByRefreshToken(
  deps: Pick<AuthDeps, "store" | "clock">,
  presented: string,
  context: RequestContext,
  reason: SessionEndReason = "logout",
): Promise<void> {
  const found = await deps.store.sessions.findRefreshToken(hashRefreshToken(presented));
  if (!found) return;
  await revokeSession(deps, { sessionId: found.sessionId, userId: found.user.id, reason, context });
}

export async function revokeAllSessions(
  deps: Pick<AuthDeps, "store" | "clock">,
  input: { userId: string; reason: SessionEndReason; context: RequestContext },
): Promise<string[]> {
  const revoked = await deps.store.sessions.revokeAllForUser(input.userId, input.reason, deps.clock.now().getTime());
  await recordAuditEvent(deps, input.context, {
    type: "sessions_revoked_all",
    userId: input.userId,
    detail: { reason: input.reason, sessionIds: revoked },
  });
  return revoked;
}

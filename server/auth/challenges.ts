// WebAuthn challenges: random, stored server-side with their purpose and expiry, single use
// (WebAuthn §13.4.3: challenges must be random, at least 16 bytes, and verified once).
import type { ChallengePurpose, ChallengeRecord } from "../db/store.ts";
import { AppError } from "../errors.ts";
import type { AuthDeps } from "./deps.ts";
import { randomToken } from "./secrets.ts";

export const CHALLENGE_BYTES = 32;
/**
 * Challenges kept at most. A flood of options calls past it pushes out the oldest pending ones:
 * their ceremonies fail with challenge_not_found and the person retries; the table stays bounded.
 * 10,000 is about 33 options calls a second sustained over the default 5-minute CHALLENGE_TTL.
 */
export const MAX_PENDING_CHALLENGES = 10_000;

export interface ChallengeContext {
  userId?: string | null;
  username?: string | null;
  displayName?: string | null;
  webauthnUserId?: string | null;
}

/** Makes and stores a fresh challenge; returns it base64url-encoded, as clientDataJSON will carry it. */
export async function createChallenge(
  deps: Pick<AuthDeps, "config" | "store" | "clock">,
  purpose: ChallengePurpose,
  context: ChallengeContext = {},
): Promise<string> {
  const now = deps.clock.now().getTime();
  const challenge = randomToken(CHALLENGE_BYTES);
  await deps.store.challenges.insert(
    {
      challenge,
      purpose,
      userId: context.userId ?? null,
      username: context.username ?? null,
      displayName: context.displayName ?? null,
      webauthnUserId: context.webauthnUserId ?? null,
      expiresAt: now + deps.config.challengeTtlSeconds * 1000,
      createdAt: now,
    },
    { now, maxPending: MAX_PENDING_CHALLENGES },
  );
  return challenge;
}

/**
 * Takes the challenge out of storage (so it can never verify again, whatever happens next) and
 * checks it was issued for this purpose and has not expired.
 */
export async function consumeChallenge(deps: Pick<AuthDeps, "store" | "clock">, challenge: string, purpose: ChallengePurpose): Promise<ChallengeRecord> {
  const record = await deps.store.challenges.consume(challenge);
  if (!record) throw new AppError("challenge_not_found");
  assertIssuedFor(deps, record, purpose);
  return record;
}

/**
 * Reads the challenge without using it up, for a ceremony that consumes it in the commit that
 * completes it; one issued for another purpose, or expired, is used up at once and refused.
 */
export async function findChallenge(deps: Pick<AuthDeps, "store" | "clock">, challenge: string, purpose: ChallengePurpose): Promise<ChallengeRecord> {
  const record = await deps.store.challenges.find(challenge);
  if (!record) throw new AppError("challenge_not_found");
  try {
    assertIssuedFor(deps, record, purpose);
  } catch (error) {
    await deps.store.challenges.consume(challenge);
    throw error;
  }
  return record;
}

function assertIssuedFor(deps: Pick<AuthDeps, "clock">, record: ChallengeRecord, purpose: ChallengePurpose): void {
  if (record.purpose !== purpose) throw new AppError("challenge_purpose_mismatch");
  if (record.expiresAt <= deps.clock.now().getTime()) throw new AppError("challenge_expired");
}

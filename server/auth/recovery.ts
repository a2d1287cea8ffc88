// Account recovery without passwords: a one-time recovery code buys a short grant that can do
// one thing, register a new passkey. Using it ends every other session of the account.
import { randomUUID } from "node:crypto";
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { RegistrationResponse } from "../../shared/schemas.ts";
import { AppError } from "../errors.ts";
import { recordAuditEvent } from "./audit.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";
import { hashSecretToken, randomToken } from "./secrets.ts";
import { hashRecoveryCode, isWellFormedRecoveryCode, normalizeRecoveryCode } from "./recovery-codes.ts";
import { creationOptions, verifyNewPasskey } from "./registration.ts";
import { revokeAllSessions, startSession, type IssuedSession } from "./sessions.ts";
import { RECOVERY_GRANT_TTL_SECONDS } from "../../shared/limits.ts";

const GRANT_BYTES = 32;

const hashGrant = hashSecretToken;

/** Exchanges username + recovery code for a grant. Wrong name and wrong code are one answer. */
export async function redeemRecoveryCode(
  deps: AuthDeps,
  input: { username: string; code: string; context: RequestContext },
): Promise<{ recoveryToken: string; expiresIn: number }> {
  const now = deps.clock.now().getTime();
  const user = await deps.store.users.findByUsername(input.username);
  const code = normalizeRecoveryCode(input.code);
  // No code matched, so nothing is proven about the named account: counted in metrics, never
  // written to its activity (anyone could fill it by naming the person).
  const fail = (reason: string): never => {
    deps.countUnattributedRefusal("recovery_failed", reason);
    throw new AppError("recovery_failed");
  };
  if (!user) return fail("unknown_user");
  // Answered like a wrong code, and no code used: naming a blocked account tells nobody it is blocked.
  if (user.blockedAt !== null) return fail("account_blocked");
  if (!isWellFormedRecoveryCode(code)) return fail("malformed_code");
  if (!(await deps.store.recovery.useCode(user.id, hashRecoveryCode(deps.keys.recoveryCodeKey, user.id, code), now))) return fail("wrong_code");

  const recoveryToken = randomToken(GRANT_BYTES);
  await deps.store.recovery.insertGrant({
    id: randomUUID(),
    userId: user.id,
    tokenHash: hashGrant(recoveryToken),
    createdAt: now,
    expiresAt: now + RECOVERY_GRANT_TTL_SECONDS * 1000,
  });
  await recordAuditEvent(deps, input.context, {
    type: "recovery_code_used",
    userId: user.id,
    detail: { remainingCodes: await deps.store.recovery.countUnusedCodes(user.id) },
  });
  return { recoveryToken, expiresIn: RECOVERY_GRANT_TTL_SECONDS };
}

async function grantHolder(deps: AuthDeps, recoveryToken: string) {
  const userId = await deps.store.recovery.findGrantUser(hashGrant(recoveryToken), deps.clock.now().getTime());
  const user = userId === null ? null : await deps.store.users.findById(userId);
  if (!user) throw new AppError("recovery_grant_invalid");
  // A grant taken before the account was blocked is no way around the block: recovery ends in a
  // sign-in, which a blocked account cannot do.
  if (user.blockedAt !== null) throw new AppError("account_blocked");
  return user;
}

export async function startRecoveryRegistration(deps: AuthDeps, recoveryToken: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const user = await grantHolder(deps, recoveryToken);
  const exclude = await deps.store.passkeys.listForUser(user.id);
  return creationOptions(deps, { account: user, purpose: "recovery", userId: user.id, exclude });
}

/** Registers the new passkey, ends every other session, and signs the person in. */
export async function finishRecovery(
  deps: AuthDeps,
  input: { recoveryToken: string; response: RegistrationResponse; context: RequestContext },
): Promise<IssuedSession> {
  const user = await grantHolder(deps, input.recoveryToken);
  const { passkey } = await verifyNewPasskey(deps, input.response, {
    purpose: "recovery",
    userIdFor: (challenge) => {
      if (challenge.userId !== user.id) throw new AppError("passkey_verification_failed", { message: "The challenge was issued for another account." });
      return user.id;
    },
  });
  // The grant is spent only now, atomically: a second use finds nothing.
  if ((await deps.store.recovery.consumeGrant(hashGrant(input.recoveryToken), deps.clock.now().getTime())) !== user.id) {
    throw new AppError("recovery_grant_invalid");
  }
  const inserted = await deps.store.passkeys.insert(passkey);
  if (inserted !== "created") throw new AppError(inserted);
  const revoked = await revokeAllSessions(deps, { userId: user.id, reason: "account_recovered", context: input.context });
  await recordAuditEvent(deps, input.context, {
    type: "account_recovered",
    userId: user.id,
    detail: { passkeyId: passkey.id, revokedSessions: revoked.length },
  });
  return startSession(deps, { user, passkeyId: passkey.id, context: input.context });
}

// Step-up: a signed-in person proves user verification again with a passkey, refreshing the
// session's verifiedAt, without opening a new session. Sensitive actions require a recent one.
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { AuthenticationResponse } from "../../shared/schemas.ts";
import { AppError } from "../errors.ts";
import { recordAuditEvent } from "./audit.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";
import { requestOptions, verifyAssertion } from "./login.ts";
import { RECENT_VERIFICATION_SECONDS } from "../../shared/limits.ts";

export function isRecentlyVerified(deps: Pick<AuthDeps, "clock">, verifiedAt: number): boolean {
  return deps.clock.now().getTime() - verifiedAt <= RECENT_VERIFICATION_SECONDS * 1000;
}

export async function startStepUp(deps: AuthDeps, userId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const user = await deps.store.users.findById(userId);
  if (!user) throw new AppError("session_revoked");
  const allow = await deps.store.passkeys.listDescriptorsForUser(user.id);
  // The username on the challenge limits the answer to this account's passkeys.
  return requestOptions(deps, { purpose: "step_up", userId: user.id, username: user.username, allow });
}

export async function finishStepUp(
  deps: AuthDeps,
  input: { response: AuthenticationResponse; userId: string; sessionId: string; context: RequestContext },
): Promise<void> {
  const { user, passkey } = await verifyAssertion(deps, input.response, { purpose: "step_up" });
  if (user.id !== input.userId) throw new AppError("passkey_verification_failed", { message: "This passkey belongs to another account." });
  if (user.blockedAt !== null) throw new AppError("account_blocked");
  await deps.store.sessions.setVerifiedAt(input.sessionId, deps.clock.now().getTime());
  await recordAuditEvent(deps, input.context, { type: "step_up_verified", userId: user.id, sessionId: input.sessionId, detail: { passkeyId: passkey.id } });
}

// A person's passkeys: list, add another while signed in, rename, delete (never the last one).
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { PasskeyInfo, RegistrationResponse } from "../../shared/schemas.ts";
import type { PasskeyRecord } from "../db/store.ts";
import { AppError } from "../errors.ts";
import { recordAuditEvent } from "./audit.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";
import { providerName } from "./passkey-policy.ts";
import { creationOptions, verifyNewPasskey } from "./registration.ts";

export function toPasskeyInfo(passkey: PasskeyRecord): PasskeyInfo {
  return {
    id: passkey.id,
    name: passkey.name,
    providerName: providerName(passkey.aaguid),
    credentialId: passkey.credentialId,
    createdAt: new Date(passkey.createdAt).toISOString(),
    lastUsedAt: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt).toISOString(),
    backedUp: passkey.backedUp,
    kind: passkey.deviceType === "multiDevice" ? "synced" : "device-bound",
  };
}

async function accountOf(deps: AuthDeps, userId: string) {
  const user = await deps.store.users.findById(userId);
  if (!user) throw new AppError("session_revoked");
  return user;
}

export async function startPasskeyAddition(deps: AuthDeps, userId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const user = await accountOf(deps, userId);
  const exclude = await deps.store.passkeys.listForUser(user.id);
  return creationOptions(deps, { account: user, purpose: "passkey_add", userId: user.id, exclude });
}

export async function finishPasskeyAddition(
  deps: AuthDeps,
  input: { response: RegistrationResponse; userId: string; sessionId: string; context: RequestContext },
): Promise<PasskeyInfo> {
  const { passkey } = await verifyNewPasskey(deps, input.response, {
    purpose: "passkey_add",
    userIdFor: (challenge) => {
      if (challenge.userId !== input.userId) throw new AppError("passkey_verification_failed", { message: "The challenge was issued for another account." });
      return input.userId;
    },
  });
  const outcome = await deps.store.passkeys.insert(passkey);
  if (outcome !== "created") throw new AppError(outcome);
  await recordAuditEvent(deps, input.context, {
    type: "passkey_added",
    userId: input.userId,
    sessionId: input.sessionId,
    detail: { passkeyId: passkey.id, name: passkey.name, aaguid: passkey.aaguid },
  });
  return toPasskeyInfo(passkey);
}

export async function renamePasskey(
  deps: AuthDeps,
  input: { passkeyId: string; name: string; userId: string; sessionId: string; context: RequestContext },
): Promise<void> {
  if (!(await deps.store.passkeys.rename({ id: input.passkeyId, userId: input.userId, name: input.name }))) {
    throw new AppError("not_found", { message: "No such passkey." });
  }
  await recordAuditEvent(deps, input.context, {
    type: "passkey_renamed",
    userId: input.userId,
    sessionId: input.sessionId,
    detail: { passkeyId: input.passkeyId, name: input.name },
  });
}

/** Deletes a passkey; the sessions it opened end too (a lost device loses its session), except this one. */
export async function deletePasskey(deps: AuthDeps, input: { passkeyId: string; userId: string; sessionId: string; context: RequestContext }): Promise<void> {
  const result = await deps.store.passkeys.deleteUnlessLast({
    id: input.passkeyId,
    userId: input.userId,
    keepSessionId: input.sessionId,
    now: deps.clock.now().getTime(),
  });
  if (result.outcome !== "deleted") {
    throw result.outcome === "last_passkey" ? new AppError("last_passkey") : new AppError("not_found", { message: "No such passkey." });
  }
  await recordAuditEvent(deps, input.context, {
    type: "passkey_removed",
    userId: input.userId,
    sessionId: input.sessionId,
    detail: { passkeyId: input.passkeyId, endedSessions: result.revokedSessionIds },
  });
}

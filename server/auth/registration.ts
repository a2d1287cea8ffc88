// Passkey registration: creation options with a fresh challenge, and verification of the new
// credential. Sign-up creates the account with it; adding a passkey and recovery reuse the same
// two steps for an existing account.
import { randomUUID } from "node:crypto";
import { generateRegistrationOptions, verifyRegistrationResponse } from "@simplewebauthn/server";
import type { AuthenticatorTransport, PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { RegisterOptionsRequest, RegistrationResponse } from "../../shared/schemas.ts";
import type { ChallengePurpose, ChallengeRecord, PasskeyRecord, UserRecord } from "../db/store.ts";
import { AppError } from "../errors.ts";
import { recordAuditEvent } from "./audit.ts";
import { consumeChallenge, createChallenge } from "./challenges.ts";
import { assertNotCrossOrigin, readClientData } from "./client-data.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";
import { assertAcceptablePasskey, defaultPasskeyName, SUPPORTED_ALGORITHM_IDS } from "./passkey-policy.ts";
import { issueRecoveryCodes } from "./recovery-codes.ts";
import { randomToken } from "./secrets.ts";
import { startSession, type IssuedSession } from "./sessions.ts";

/** WebAuthn §5.4.3: the user handle is at most 64 random bytes and never personal data. */
const USER_HANDLE_BYTES = 32;

type Account = Pick<UserRecord, "username" | "displayName" | "webauthnUserId">;

/** Creation options for `account`, whose existing passkeys the authenticator must not duplicate. */
export async function creationOptions(
  deps: AuthDeps,
  input: { account: Account; purpose: ChallengePurpose; userId?: string; exclude?: PasskeyRecord[] },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const challenge = await createChallenge(deps, input.purpose, { userId: input.userId ?? null, ...input.account });
  return generateRegistrationOptions({
    rpName: deps.config.rpName,
    rpID: deps.config.rpId,
    userName: input.account.username,
    userDisplayName: input.account.displayName,
    userID: new Uint8Array(Buffer.from(input.account.webauthnUserId, "base64url")),
    challenge: Buffer.from(challenge, "base64url"),
    timeout: deps.config.challengeTtlSeconds * 1000,
    attestationType: "none",
    excludeCredentials: (input.exclude ?? []).map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransport[] })),
    // Discoverable credentials make username-less sign-in possible; UV makes the passkey a
    // two-factor credential on its own.
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
  });
}

/**
 * Consumes the response's challenge (it must be of `purpose`) and verifies the new credential.
 * Returns the challenge and the passkey, not yet stored, for `userId`.
 */
export async function verifyNewPasskey(
  deps: AuthDeps,
  response: RegistrationResponse,
  input: { purpose: ChallengePurpose; userIdFor: (challenge: ChallengeRecord) => string },
): Promise<{ challenge: ChallengeRecord; passkey: PasskeyRecord }> {
  const clientData = readClientData(response.response.clientDataJSON);
  const challenge = await consumeChallenge(deps, clientData.challenge, input.purpose);
  assertNotCrossOrigin(clientData);

  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: [...deps.config.origins],
      expectedRPID: deps.config.rpId,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
    });
  } catch (cause) {
    throw new AppError("passkey_verification_failed", { cause });
  }
  if (!verification.verified) throw new AppError("passkey_verification_failed");
  const info = verification.registrationInfo;
  // The library takes the credential ID from authenticator data and ignores `id`; a response
  // whose `id` names another credential is inconsistent and refused (WebAuthn §7.1 step 5).
  if (info.credential.id !== response.id || response.rawId !== response.id) {
    throw new AppError("passkey_verification_failed", { message: "The credential ID does not match the authenticator data." });
  }
  assertAcceptablePasskey({ fmt: info.fmt, credentialId: info.credential.id, publicKey: info.credential.publicKey });

  const now = deps.clock.now().getTime();
  return {
    challenge,
    passkey: {
      id: randomUUID(),
      userId: input.userIdFor(challenge),
      credentialId: info.credential.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: response.response.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      name: defaultPasskeyName(info.aaguid, info.credentialDeviceType),
      createdAt: now,
      lastUsedAt: now,
    },
  };
}

export async function startRegistration(deps: AuthDeps, request: RegisterOptionsRequest): Promise<PublicKeyCredentialCreationOptionsJSON> {
  if (await deps.store.users.findByUsername(request.username)) throw new AppError("username_taken");
  const account = {
    username: request.username,
    displayName: request.displayName || request.username,
    webauthnUserId: randomToken(USER_HANDLE_BYTES),
  };
  return creationOptions(deps, { account, purpose: "registration" });
}

/** Sign-up: creates the account with its first passkey, its recovery codes, and a session. */
export async function finishRegistration(
  deps: AuthDeps,
  response: RegistrationResponse,
  context: RequestContext,
): Promise<{ session: IssuedSession; recoveryCodes: string[] }> {
  const userId = randomUUID();
  const { challenge, passkey } = await verifyNewPasskey(deps, response, { purpose: "registration", userIdFor: () => userId });
  const { username, displayName, webauthnUserId } = challenge;
  if (username === null || displayName === null || webauthnUserId === null) throw new AppError("challenge_not_found");

  const user: UserRecord = {
    id: userId,
    username,
    displayName,
    webauthnUserId,
    // Never admin by name: admins are made with `npm run admin -- grant`, which needs the database.
    role: "user",
    blockedAt: null,
    createdAt: passkey.createdAt,
  };
  const outcome = await deps.store.users.createWithPasskey(user, passkey);
  if (outcome !== "created") throw new AppError(outcome);

  await recordAuditEvent(deps, context, {
    type: "user_registered",
    userId: user.id,
    detail: { username, passkeyId: passkey.id, aaguid: passkey.aaguid, role: user.role },
  });
  const recoveryCodes = await issueRecoveryCodes(deps, { userId: user.id, context });
  const session = await startSession(deps, { user, passkeyId: passkey.id, context, signedIn: { ceremony: "registration" } });
  return { session, recoveryCodes };
}

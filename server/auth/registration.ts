// Passkey registration (sign-up): options with a fresh challenge, then verification that creates
// the account and its first passkey together.
import { randomBytes, randomUUID } from "node:crypto";
import { generateRegistrationOptions, verifyRegistrationResponse } from "@simplewebauthn/server";
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { RegisterOptionsRequest, RegistrationResponse } from "../../shared/schemas.ts";
import { AppError } from "../errors.ts";
import { recordAuditEvent } from "./audit.ts";
import { CHALLENGE_TTL_SECONDS, consumeChallenge, createChallenge } from "./challenges.ts";
import { assertNotCrossOrigin, readClientData } from "./client-data.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";
import { SUPPORTED_ALGORITHM_IDS, passkeyName } from "./passkey-policy.ts";
import { startSession, type IssuedSession } from "./sessions.ts";

/** WebAuthn §5.4.3: the user handle is at most 64 random bytes and never personal data. */
const USER_HANDLE_BYTES = 32;

export async function startRegistration(
  deps: AuthDeps,
  request: RegisterOptionsRequest,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  if (await deps.store.users.findByUsername(request.username)) throw new AppError("username_taken");
  const webauthnUserId = randomBytes(USER_HANDLE_BYTES);
  const displayName = request.displayName || request.username;
  const challenge = await createChallenge(deps, "registration", {
    username: request.username,
    displayName,
    webauthnUserId: webauthnUserId.toString("base64url"),
  });
  return generateRegistrationOptions({
    rpName: deps.config.rpName,
    rpID: deps.config.rpId,
    userName: request.username,
    userDisplayName: displayName,
    userID: new Uint8Array(webauthnUserId),
    challenge: Buffer.from(challenge, "base64url"),
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    attestationType: "none",
    // Discoverable credentials make username-less sign-in possible; UV makes the passkey a
    // two-factor credential on its own.
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
  });
}

export async function finishRegistration(
  deps: AuthDeps,
  response: RegistrationResponse,
  context: RequestContext,
): Promise<IssuedSession> {
  const clientData = readClientData(response.response.clientDataJSON);
  const challenge = await consumeChallenge(deps, clientData.challenge, "registration");
  assertNotCrossOrigin(clientData);
  const { username, displayName, webauthnUserId } = challenge;
  if (username === null || displayName === null || webauthnUserId === null) throw new AppError("challenge_not_found");

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

  const now = deps.clock.now().getTime();
  const user = {
    id: randomUUID(),
    username,
    displayName,
    webauthnUserId,
    role: deps.config.adminUsernames.includes(username) ? ("admin" as const) : ("user" as const),
    blockedAt: null,
    createdAt: now,
  };
  const passkey = {
    id: randomUUID(),
    userId: user.id,
    credentialId: info.credential.id,
    publicKey: info.credential.publicKey,
    counter: info.credential.counter,
    transports: response.response.transports ?? [],
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    aaguid: info.aaguid,
    name: passkeyName(info.credentialDeviceType),
    createdAt: now,
    lastUsedAt: now,
  };
  const outcome = await deps.store.users.createWithPasskey(user, passkey);
  if (outcome !== "created") throw new AppError(outcome);

  await recordAuditEvent(deps, context, {
    type: "user_registered",
    userId: user.id,
    detail: { username, passkeyId: passkey.id, aaguid: info.aaguid, role: user.role },
  });
  const session = await startSession(deps, { user, passkeyId: passkey.id, context });
  await recordAuditEvent(deps, context, {
    type: "signed_in",
    userId: user.id,
    sessionId: session.sessionId,
    detail: { passkeyId: passkey.id, ceremony: "registration" },
  });
  return session;
}

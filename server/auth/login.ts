// Passkey sign-in: options (usernameless, or for a username without revealing whether it
// exists), then verification of the assertion with the checks the library leaves to us.
import { createHmac } from "node:crypto";
import { generateAuthenticationOptions, verifyAuthenticationResponse } from "@simplewebauthn/server";
import type { AuthenticatorTransport, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { AuthenticationResponse, LoginOptionsRequest } from "../../shared/schemas.ts";
import type { ChallengePurpose, ChallengeRecord, CredentialDescriptor, PasskeyRecord, PasskeyUse, UserRecord } from "../db/store.ts";
import { AppError } from "../errors.ts";
import { recordAuditEvent } from "./audit.ts";
import { consumeChallenge, createChallenge, findChallenge } from "./challenges.ts";
import type { ClientDataJSON } from "@simplewebauthn/server/helpers";
import { assertNotCrossOrigin, readClientData } from "./client-data.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";
import { startSession, type IssuedSession } from "./sessions.ts";

/** Credential ID lengths real authenticators make (platform passkeys 16-32 bytes, security keys 64). */
const DECOY_CREDENTIAL_ID_BYTES = [16, 20, 32, 32, 64] as const;
/** Transports as browsers report them: getTransports() is sorted lexicographically (WebAuthn §5.2.1.2). */
const DECOY_TRANSPORTS = [["hybrid", "internal"], ["hybrid", "internal"], ["internal"], ["nfc", "usb"], ["hybrid", "nfc", "usb"]] as const;
/** Decoy lists hold 1 to this many credentials, like real accounts. */
const MAX_DECOY_CREDENTIALS = 3;

/**
 * An unknown username gets a credential list that looks real and stays the same on every call
 * (HMACs of the name under a server secret: its length and IDs), so options cannot tell which
 * usernames exist.
 */
function decoyCredentials(decoyKey: Uint8Array, username: string): CredentialDescriptor[] {
  const mac = (label: string) => createHmac("sha256", decoyKey).update(`${label}:${username}`).digest();
  const count = 1 + (mac("count")[0]! % MAX_DECOY_CREDENTIALS);
  return Array.from({ length: count }, (_, i) => {
    const shape = mac(`shape:${i}`);
    const bytes = DECOY_CREDENTIAL_ID_BYTES[shape[0]! % DECOY_CREDENTIAL_ID_BYTES.length]!;
    return {
      credentialId: Buffer.concat([mac(`credential:${i}`), mac(`credential:${i}:more`)])
        .subarray(0, bytes)
        .toString("base64url"),
      transports: [...DECOY_TRANSPORTS[shape[1]! % DECOY_TRANSPORTS.length]!],
    };
  });
}

/** Request options for an assertion, with a challenge of `purpose`. */
export async function requestOptions(
  deps: AuthDeps,
  input: { purpose: ChallengePurpose; userId: string | null; username: string | null; allow: CredentialDescriptor[] },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const challenge = await createChallenge(deps, input.purpose, { userId: input.userId, username: input.username });
  return generateAuthenticationOptions({
    rpID: deps.config.rpId,
    challenge: Buffer.from(challenge, "base64url"),
    timeout: deps.config.challengeTtlSeconds * 1000,
    userVerification: "required",
    allowCredentials: input.allow.map((c) => ({ id: c.credentialId, transports: c.transports as AuthenticatorTransport[] })),
  });
}

export async function startLogin(deps: AuthDeps, request: LoginOptionsRequest): Promise<PublicKeyCredentialRequestOptionsJSON> {
  if (request.username === undefined) return requestOptions(deps, { purpose: "authentication", userId: null, username: null, allow: [] });
  // A blocked account is answered like any other: that it is blocked is said only after its
  // passkey verified (verifyAssertion), never to whoever merely names it.
  const user = await deps.store.users.findByUsername(request.username);
  const allow = user ? await deps.store.passkeys.listDescriptorsForUser(user.id) : decoyCredentials(deps.keys.decoyKey, request.username);
  return requestOptions(deps, { purpose: "authentication", userId: user?.id ?? null, username: request.username, allow });
}

export async function finishLogin(deps: AuthDeps, response: AuthenticationResponse, context: RequestContext): Promise<IssuedSession> {
  const failure = { credentialId: response.id, userId: null as string | null };
  try {
    // The challenge is read here and consumed in the commit that opens the session (with the
    // passkey's counter and the signed_in event): one commit per sign-in. A refusal before that
    // consumes it on its own, so no challenge verifies twice either way.
    const clientData = readClientData(response.response.clientDataJSON);
    const challenge = await findChallenge(deps, clientData.challenge, "authentication");
    let checked: CheckedAssertion;
    try {
      checked = await checkAssertion(deps, response, { clientData, challenge }, failure);
    } catch (error) {
      await deps.store.challenges.consume(challenge.challenge);
      throw error;
    }
    const { user, passkey, use } = checked;
    return await startSession(deps, {
      user,
      passkeyId: passkey.id,
      context,
      signedIn: { ceremony: "authentication" },
      assertion: { challenge: challenge.challenge, use },
    });
  } catch (error) {
    if (error instanceof AppError) {
      // Only a refusal after the passkey's signature verified says something about its account;
      // anything earlier proves nothing, and is counted without naming anyone.
      if (failure.userId === null) deps.countUnattributedRefusal("sign_in_failed", error.code);
      else {
        await recordAuditEvent(deps, context, {
          type: "sign_in_failed",
          userId: failure.userId,
          detail: { reason: error.code, credentialId: failure.credentialId },
        });
      }
    }
    throw error;
  }
}

/**
 * Verifies an assertion against a challenge of `purpose` (consumed first), with the checks the
 * library leaves to us, and records the passkey's use: for ceremonies that open no session.
 */
export async function verifyAssertion(
  deps: AuthDeps,
  response: AuthenticationResponse,
  input: { purpose: ChallengePurpose },
): Promise<{ user: UserRecord; passkey: PasskeyRecord }> {
  const clientData = readClientData(response.response.clientDataJSON);
  const challenge = await consumeChallenge(deps, clientData.challenge, input.purpose);
  const { user, passkey, use } = await checkAssertion(deps, response, { clientData, challenge }, { userId: null });
  // The store checks the counter again as it writes: of two assertions carrying one counter, in
  // parallel here or on another instance, only one is recorded.
  const recorded = await deps.store.passkeys.recordUse(passkey.id, use);
  if (recorded === "counter_regression") throw new AppError("passkey_counter_regression");
  if (recorded === "not_found") throw new AppError("passkey_not_found"); // removed while this ceremony ran
  return { user, passkey };
}

type CheckedAssertion = { user: UserRecord; passkey: PasskeyRecord; use: PasskeyUse };

/**
 * The checks of an assertion against its challenge, the library's and the ones it leaves to us;
 * writes nothing. `failure.userId` learns the account once the passkey's signature verified: a
 * refusal from then on is about that account.
 */
async function checkAssertion(
  deps: AuthDeps,
  response: AuthenticationResponse,
  { clientData, challenge }: { clientData: ClientDataJSON; challenge: ChallengeRecord },
  failure: { userId: string | null },
): Promise<CheckedAssertion> {
  assertNotCrossOrigin(clientData);
  const passkey = await deps.store.passkeys.findByCredentialId(response.id);
  if (!passkey) throw new AppError("passkey_not_found");
  // A username was given: only that account's credentials (its allowCredentials) may answer.
  if (challenge.username !== null && passkey.userId !== challenge.userId) {
    throw new AppError("passkey_verification_failed", { message: "This passkey does not belong to the account being signed in." });
  }
  const user = await deps.store.users.findById(passkey.userId);
  if (!user) throw new AppError("passkey_not_found");
  // WebAuthn §7.2 step 6: the user handle, when given, must be the credential owner's; a
  // username-less (discoverable) sign-in must give one.
  const userHandle = response.response.userHandle;
  if ((userHandle === undefined && challenge.username === null) || (userHandle !== undefined && userHandle !== user.webauthnUserId)) {
    throw new AppError("passkey_verification_failed", { message: "The passkey's user handle does not match its owner." });
  }

  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: [...deps.config.origins],
      expectedRPID: deps.config.rpId,
      requireUserVerification: true,
      // Counter 0 here turns off the library's counter check; ours below runs only after the
      // signature verified, so a forged response cannot raise a clone alarm.
      credential: { id: passkey.credentialId, publicKey: passkey.publicKey, counter: 0, transports: [] },
    });
  } catch (cause) {
    throw new AppError("passkey_verification_failed", { cause });
  }
  if (!verification.verified) throw new AppError("passkey_verification_failed");
  failure.userId = passkey.userId;
  const { newCounter, credentialBackedUp, credentialDeviceType } = verification.authenticationInfo;
  // WebAuthn L3 §6.1.3 / §7.2: backup eligibility is fixed when the credential is made; an
  // assertion whose BE flag differs from what registration stored is not that credential's.
  if (credentialDeviceType !== passkey.deviceType) {
    throw new AppError("passkey_verification_failed", { message: "The passkey's backup eligibility differs from when it was registered." });
  }
  // WebAuthn §7.2 step 22: a counter that does not grow signals a cloned authenticator. Synced
  // passkeys always report 0 and are exempt.
  if ((newCounter !== 0 || passkey.counter !== 0) && newCounter <= passkey.counter) {
    throw new AppError("passkey_counter_regression");
  }
  if (user.blockedAt !== null) throw new AppError("account_blocked");
  return { user, passkey, use: { counter: newCounter, backedUp: credentialBackedUp, usedAt: deps.clock.now().getTime() } };
}

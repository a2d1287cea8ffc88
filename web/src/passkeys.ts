// The passkey ceremonies in the browser: options from the server, the authenticator through
// @simplewebauthn/browser, the answer back to the server, tokens handed to the auth client.
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  sendSignal,
  startAuthentication,
  startRegistration,
  WebAuthnError,
} from "@simplewebauthn/browser";
import { ROUTES } from "../../shared/routes.ts";
import type { PasskeyInfo, PasskeyList, RecoveryGrant, TokenResponse } from "../../shared/schemas.ts";
import { ApiError, fetchOrThrow, readApiError, type AuthClient } from "./auth-client.ts";
import { withDecodedClientData, type FlowLog } from "./flow-log.ts";

export { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill };

/** A ceremony that did not finish, with a message fit to show the person. */
export class CeremonyError extends Error {
  constructor(
    message: string,
    readonly cancelled = false,
  ) {
    super(message);
    this.name = "CeremonyError";
  }
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetchOrThrow(fetch, path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await readApiError(response);
  return (await response.json()) as T;
}

/** Turns what the browser throws into words for the person. */
function explain(error: unknown, ceremony: "create" | "get"): never {
  if (error instanceof ApiError) throw error;
  const name = error instanceof Error ? error.name : "";
  if (error instanceof WebAuthnError && error.code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED") {
    throw new CeremonyError("This device already holds a passkey for this account.");
  }
  if (name === "NotAllowedError" || name === "AbortError") {
    throw new CeremonyError(
      ceremony === "create" ? "Passkey creation was cancelled or timed out; nothing was created." : "Sign-in was cancelled or timed out.",
      true,
    );
  }
  if (name === "SecurityError") throw new CeremonyError("This page's address is not allowed to use passkeys for this site.");
  throw new CeremonyError(error instanceof Error ? error.message : "The passkey ceremony failed.");
}

function requireSupport() {
  if (!browserSupportsWebAuthn()) {
    throw new CeremonyError("This browser does not support passkeys. Try a current Chrome, Safari, Firefox or Edge.");
  }
}

type CreationOptions = Parameters<typeof startRegistration>[0]["optionsJSON"];
type RequestOptions = Parameters<typeof startAuthentication>[0]["optionsJSON"];

export async function signUpWithPasskey(input: { username: string; displayName?: string }, flow?: FlowLog): Promise<SignUpResult> {
  requireSupport();
  flow?.begin("Sign-up (registration)");
  const optionsJSON = await postJson<CreationOptions>(ROUTES.registerOptions, input);
  flow?.step(`POST ${ROUTES.registerOptions} → creation options`, optionsJSON);
  const attestation = await startRegistration({ optionsJSON }).catch((error: unknown) => explain(error, "create"));
  flow?.step("Authenticator → new credential (attestation)", withDecodedClientData(attestation));
  const tokens = await postJson<SignUpResult>(ROUTES.registerVerify, attestation);
  flow?.step(`POST ${ROUTES.registerVerify} → signed in`, { ...tokens, recoveryCodes: "(shown to you once; not recorded)" });
  return tokens;
}

/** The sign-in button: any passkey of this site (username-less), or only the named account's. */
export async function signInWithPasskey(username: string | undefined, flow?: FlowLog): Promise<TokenResponse> {
  requireSupport();
  return authenticate({ username, useBrowserAutofill: false }, flow);
}

/**
 * Browser autofill (conditional mediation): passkeys appear in the username field's suggestions.
 * Resolves when the person picks one; rejects with a cancelled CeremonyError when another
 * ceremony (the button) takes over.
 */
/** Waits for the person to pick a passkey in the username field's autofill; `onChosen` runs once they did, before it is verified. */
export async function signInWithAutofill(flow?: FlowLog, options: { onChosen?: () => void } = {}): Promise<TokenResponse> {
  return authenticate({ username: undefined, useBrowserAutofill: true, onChosen: options.onChosen }, flow);
}

async function authenticate(
  input: { username: string | undefined; useBrowserAutofill: boolean; onChosen?: () => void },
  flow?: FlowLog,
): Promise<TokenResponse> {
  const optionsJSON = await postJson<RequestOptions>(ROUTES.loginOptions, input.username ? { username: input.username } : {});
  const assertion = await startAuthentication({ optionsJSON, useBrowserAutofill: input.useBrowserAutofill }).catch((error: unknown) => explain(error, "get"));
  input.onChosen?.();
  // Recorded once the person has chosen, so a waiting autofill request does not replace the last ceremony.
  flow?.begin(input.useBrowserAutofill ? "Sign-in (browser autofill)" : "Sign-in (passkey button)");
  flow?.step(`POST ${ROUTES.loginOptions} → request options`, optionsJSON);
  flow?.step("Authenticator → assertion", withDecodedClientData(assertion));
  const tokens = await postJson<TokenResponse>(ROUTES.loginVerify, assertion);
  flow?.step(`POST ${ROUTES.loginVerify} → signed in`, tokens);
  return tokens;
}

/** Sign-up's answer: the tokens, and the recovery codes shown once. */
export type SignUpResult = TokenResponse & { recoveryCodes: string[] };

/** Adds another passkey to the signed-in account (the authenticator must not hold one already). */
export async function addPasskey(auth: AuthClient, flow?: FlowLog): Promise<PasskeyInfo> {
  requireSupport();
  flow?.begin("Add a passkey");
  const optionsJSON = await auth.api<CreationOptions>(ROUTES.passkeyOptions, { method: "POST" });
  flow?.step(`POST ${ROUTES.passkeyOptions} → creation options`, optionsJSON);
  const attestation = await startRegistration({ optionsJSON }).catch((error: unknown) => explain(error, "create"));
  flow?.step("Authenticator → new credential (attestation)", withDecodedClientData(attestation));
  const passkey = await auth.api<PasskeyInfo>(ROUTES.passkeyVerify, { method: "POST", body: JSON.stringify(attestation) });
  flow?.step(`POST ${ROUTES.passkeyVerify} → passkey added`, passkey);
  return passkey;
}

/** Proves user verification again for a sensitive action, without a new session. */
export async function stepUpWithPasskey(auth: AuthClient): Promise<boolean> {
  if (!browserSupportsWebAuthn()) return false;
  const optionsJSON = await auth.api<RequestOptions>(ROUTES.stepUpOptions, { method: "POST" });
  const assertion = await startAuthentication({ optionsJSON }).catch((error: unknown) => explain(error, "get"));
  await auth.api<void>(ROUTES.stepUpVerify, { method: "POST", body: JSON.stringify(assertion) });
  return true;
}

/** Recovery on a new device: code → grant → a new passkey → signed in. */
export async function recoverWithCode(input: { username: string; code: string }, flow?: FlowLog): Promise<TokenResponse> {
  requireSupport();
  flow?.begin("Account recovery");
  const { recoveryToken } = await postJson<RecoveryGrant>(ROUTES.recover, input);
  flow?.step(`POST ${ROUTES.recover} → recovery grant`, { recoveryToken: "(redacted)" });
  const optionsJSON = await postJson<CreationOptions>(ROUTES.recoverOptions, { recoveryToken });
  flow?.step(`POST ${ROUTES.recoverOptions} → creation options`, optionsJSON);
  const credential = await startRegistration({ optionsJSON }).catch((error: unknown) => explain(error, "create"));
  flow?.step("Authenticator → new credential (attestation)", withDecodedClientData(credential));
  const tokens = await postJson<TokenResponse>(ROUTES.recoverVerify, { recoveryToken, credential });
  flow?.step(`POST ${ROUTES.recoverVerify} → signed in, other sessions ended`, tokens);
  return tokens;
}

/**
 * WebAuthn Signal API: tells the browser a deleted passkey is gone and which ones still count,
 * so its passkey manager stops offering the deleted one. Best effort where the browser has it.
 */
export async function signalPasskeyDeleted(list: PasskeyList, deleted: PasskeyInfo): Promise<void> {
  const remaining = list.passkeys.filter((p) => p.id !== deleted.id).map((p) => p.credentialId);
  await sendSignal({ signalName: "unknownCredential", rpID: list.rpId, credentialID: deleted.credentialId }).catch(() => undefined);
  await sendSignal({ signalName: "allAcceptedCredentials", rpID: list.rpId, userID: list.userHandle, allAcceptedCredentialIDs: remaining }).catch(
    () => undefined,
  );
}

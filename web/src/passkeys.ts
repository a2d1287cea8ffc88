// The passkey ceremonies in the browser: options from the server, the authenticator through
// @simplewebauthn/browser, the answer back to the server, tokens handed to the auth client.
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
  WebAuthnError,
} from "@simplewebauthn/browser";
import { ROUTES } from "../../shared/routes.ts";
import type { TokenResponse } from "../../shared/schemas.ts";
import { ApiError, fetchOrThrow, readApiError } from "./auth-client.ts";
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

export async function signUpWithPasskey(input: { username: string; displayName?: string }, flow?: FlowLog): Promise<TokenResponse> {
  requireSupport();
  flow?.begin("Sign-up (registration)");
  const optionsJSON = await postJson<CreationOptions>(ROUTES.registerOptions, input);
  flow?.step(`POST ${ROUTES.registerOptions} → creation options`, optionsJSON);
  const attestation = await startRegistration({ optionsJSON }).catch((error: unknown) => explain(error, "create"));
  flow?.step("Authenticator → new credential (attestation)", withDecodedClientData(attestation));
  const tokens = await postJson<TokenResponse>(ROUTES.registerVerify, attestation);
  flow?.step(`POST ${ROUTES.registerVerify} → signed in`, tokens);
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
export async function signInWithAutofill(flow?: FlowLog): Promise<TokenResponse> {
  return authenticate({ username: undefined, useBrowserAutofill: true }, flow);
}

async function authenticate(input: { username: string | undefined; useBrowserAutofill: boolean }, flow?: FlowLog): Promise<TokenResponse> {
  const optionsJSON = await postJson<RequestOptions>(ROUTES.loginOptions, input.username ? { username: input.username } : {});
  const assertion = await startAuthentication({ optionsJSON, useBrowserAutofill: input.useBrowserAutofill }).catch((error: unknown) =>
    explain(error, "get"),
  );
  // Recorded once the person has chosen, so a waiting autofill request does not replace the last ceremony.
  flow?.begin(input.useBrowserAutofill ? "Sign-in (browser autofill)" : "Sign-in (passkey button)");
  flow?.step(`POST ${ROUTES.loginOptions} → request options`, optionsJSON);
  flow?.step("Authenticator → assertion", withDecodedClientData(assertion));
  const tokens = await postJson<TokenResponse>(ROUTES.loginVerify, assertion);
  flow?.step(`POST ${ROUTES.loginVerify} → signed in`, tokens);
  return tokens;
}

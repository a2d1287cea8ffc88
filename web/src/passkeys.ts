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

export async function signUpWithPasskey(input: { username: string; displayName?: string }): Promise<TokenResponse> {
  requireSupport();
  const optionsJSON = await postJson<Parameters<typeof startRegistration>[0]["optionsJSON"]>(ROUTES.registerOptions, input);
  const attestation = await startRegistration({ optionsJSON }).catch((error: unknown) => explain(error, "create"));
  return postJson<TokenResponse>(ROUTES.registerVerify, attestation);
}

/** The sign-in button: any passkey of this site (username-less), or only the named account's. */
export async function signInWithPasskey(username?: string): Promise<TokenResponse> {
  requireSupport();
  const optionsJSON = await postJson<Parameters<typeof startAuthentication>[0]["optionsJSON"]>(ROUTES.loginOptions, username ? { username } : {});
  const assertion = await startAuthentication({ optionsJSON }).catch((error: unknown) => explain(error, "get"));
  return postJson<TokenResponse>(ROUTES.loginVerify, assertion);
}

/**
 * Browser autofill (conditional mediation): passkeys appear in the username field's suggestions.
 * Resolves when the person picks one; rejects with a cancelled CeremonyError when another
 * ceremony (the button) takes over.
 */
export async function signInWithAutofill(): Promise<TokenResponse> {
  const optionsJSON = await postJson<Parameters<typeof startAuthentication>[0]["optionsJSON"]>(ROUTES.loginOptions, {});
  const assertion = await startAuthentication({ optionsJSON, useBrowserAutofill: true }).catch((error: unknown) => explain(error, "get"));
  return postJson<TokenResponse>(ROUTES.loginVerify, assertion);
}

// The passkey sign-in form: a username field offering passkeys in its autofill, and a button for a
// username-less (or named) passkey. Used by the sign-in page and by the OpenID Provider's sign-in
// page. One sign-in at a time: an autofill choice being verified holds the button, and the
// autofill request is armed again after a failure until the form is disposed.
import { WebAuthnAbortService } from "@simplewebauthn/browser";
import type { TokenResponse } from "../../shared/schemas.ts";
import { h } from "./dom.ts";
import type { FlowLog } from "./flow-log.ts";
import { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, CeremonyError, signInWithAutofill, signInWithPasskey } from "./passkeys.ts";

export interface PasskeySignInFormOptions {
  flow: FlowLog;
  /** A ceremony verified: the new session's tokens. A throw is reported through onError. */
  onSignedIn(tokens: TokenResponse): void | Promise<void>;
  onError(error: unknown): void;
  /** The button was pressed (clear earlier messages). */
  onStart?(): void;
}

export function passkeySignInForm(options: PasskeySignInFormOptions): { element: HTMLFormElement; dispose(): void } {
  let active = true;
  /** An autofill choice is being verified: the button must not open a second session meanwhile. */
  let autofillVerifying = false;

  const username = h("input", {
    id: "username",
    name: "username",
    type: "text",
    autocomplete: "username webauthn",
    placeholder: "optional",
    autocapitalize: "none",
    spellcheck: "false",
  });
  const button = h("button", { type: "submit", id: "sign-in" }, "Sign in with a passkey");
  const fail = (error: unknown) => {
    if (active) options.onError(error);
  };
  const element = h(
    "form",
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        if (autofillVerifying) return;
        options.onStart?.();
        button.disabled = true;
        try {
          await options.onSignedIn(await signInWithPasskey(username.value.trim() || undefined, options.flow));
        } catch (error) {
          fail(error);
        } finally {
          button.disabled = false;
        }
      },
    },
    h("label", { for: "username" }, "Username"),
    username,
    button,
  );

  const startAutofill = async () => {
    if (!(await browserSupportsWebAuthnAutofill())) return;
    while (active) {
      const chosen = () => {
        autofillVerifying = true;
        button.disabled = true;
      };
      try {
        return await options.onSignedIn(await signInWithAutofill(options.flow, { onChosen: chosen }));
      } catch (error) {
        // The button cancels the autofill request; any other failure is shown and autofill re-armed.
        if (error instanceof CeremonyError && error.cancelled) return;
        fail(error);
      } finally {
        // Only what this attempt disabled: a cancelled request leaves the button's own ceremony alone.
        if (autofillVerifying) {
          autofillVerifying = false;
          button.disabled = false;
        }
      }
    }
  };
  if (browserSupportsWebAuthn()) void startAutofill();
  else fail(new Error("This browser does not support passkeys. Try a current Chrome, Safari, Firefox or Edge."));

  return {
    element,
    dispose() {
      active = false;
      WebAuthnAbortService.cancelCeremony();
    },
  };
}

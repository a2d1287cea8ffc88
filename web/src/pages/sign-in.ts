// Sign in: a username-less passkey button, and passkeys offered in the username field's autofill.
import { WebAuthnAbortService } from "@simplewebauthn/browser";
import { PAGES } from "../../../shared/routes.ts";
import type { TokenResponse } from "../../../shared/schemas.ts";
import { h, statusLine } from "../dom.ts";
import { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, CeremonyError, signInWithAutofill, signInWithPasskey } from "../passkeys.ts";
import type { Page, PageContext } from "./page.ts";

export function signInPage(ctx: PageContext): Page {
  const status = statusLine();
  if (ctx.notice) status.show(ctx.notice, "info");
  let active = true;
  /** An autofill choice is being verified: the button must not open a second session meanwhile. */
  let autofillVerifying = false;

  const finish = (tokens: TokenResponse) => {
    ctx.auth.acceptTokens(tokens);
    ctx.navigate(PAGES.account);
  };
  const fail = (error: unknown) => {
    if (!active) return;
    status.show(error instanceof Error ? error.message : "Sign-in failed.");
  };

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
  const form = h(
    "form",
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        if (autofillVerifying) return;
        status.clear();
        button.disabled = true;
        try {
          finish(await signInWithPasskey(username.value.trim() || undefined, ctx.flow));
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
        return finish(await signInWithAutofill(ctx.flow, { onChosen: chosen }));
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
  else status.show("This browser does not support passkeys. Try a current Chrome, Safari, Firefox or Edge.");

  const element = h(
    "section",
    { class: "card", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in"),
    h("p", {}, "Use the passkey on this device, your phone, or a security key. No password needed."),
    form,
    status.element,
    h("p", { class: "alt" }, "New here? ", h("a", { href: PAGES.signUp, "data-link": true }, "Create an account")),
    h("p", { class: "alt" }, "Lost your passkeys? ", h("a", { href: PAGES.recover, "data-link": true }, "Use a recovery code")),
    h("p", { class: "alt" }, "Developers: ", h("a", { href: PAGES.docs, "data-link": true }, "API reference")),
  );
  return {
    element,
    dispose() {
      active = false;
      WebAuthnAbortService.cancelCeremony();
    },
  };
}

// Sign up: a username, an optional display name, and a new passkey.
import * as v from "valibot";
import { PAGES } from "../../../shared/routes.ts";
import { DisplayName, Username } from "../../../shared/schemas.ts";
import { h, statusLine } from "../dom.ts";
import { browserSupportsWebAuthn, signUpWithPasskey } from "../passkeys.ts";
import { recoveryCodesPanel } from "../recovery-codes.ts";
import type { Page, PageContext } from "./page.ts";

/** Where an app's sign-in sent the person to make an account first (?next=, only our interaction page). */
function returnTo(): string | null {
  const next = new URLSearchParams(location.search).get("next");
  return next !== null && /^\/oidc\/interaction\/[\w-]+$/.test(next) ? next : null;
}

export function signUpPage(ctx: PageContext): Page {
  const status = statusLine();
  const username = h("input", {
    id: "new-username",
    name: "username",
    type: "text",
    autocomplete: "username",
    required: true,
    autocapitalize: "none",
    spellcheck: "false",
  });
  const displayName = h("input", { id: "display-name", name: "displayName", type: "text", autocomplete: "name", placeholder: "optional" });
  const button = h("button", { type: "submit", id: "sign-up" }, "Create account with a passkey");
  const supported = browserSupportsWebAuthn();
  if (!supported) {
    button.disabled = true;
    status.show("This browser does not support passkeys. Try a current Chrome, Safari, Firefox or Edge.");
  }

  const form = h(
    "form",
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        status.clear();
        // The same rules the server applies, so the person learns of a bad name before the ceremony.
        const name = v.safeParse(Username, username.value);
        if (!name.success) return status.show(`Username ${name.issues[0].message}.`);
        const display = v.safeParse(DisplayName, displayName.value);
        if (!display.success) return status.show(`Display name ${display.issues[0].message}.`);
        button.disabled = true;
        try {
          const { recoveryCodes, ...tokens } = await signUpWithPasskey(
            { username: name.output, ...(display.output ? { displayName: display.output } : {}) },
            ctx.flow,
          );
          ctx.auth.acceptTokens(tokens);
          section.replaceChildren(
            h("h1", {}, "Account created"),
            recoveryCodesPanel(recoveryCodes, { username: tokens.user.username, onDone: () => ctx.navigate(returnTo() ?? PAGES.account) }),
          );
        } catch (error) {
          status.show(error instanceof Error ? error.message : "Sign-up failed.");
        } finally {
          button.disabled = !supported;
        }
      },
    },
    h("label", { for: "new-username" }, "Username"),
    username,
    h("label", { for: "display-name" }, "Display name"),
    displayName,
    button,
  );

  const section = h(
    "section",
    { class: "card", "aria-labelledby": "sign-up-title" },
    h("h1", { id: "sign-up-title" }, "Create an account"),
    h("p", {}, "Your device makes a passkey for this site; you will confirm with your fingerprint, face or screen lock."),
    form,
    status.element,
    h("p", { class: "alt" }, "Already have an account? ", h("a", { href: PAGES.signIn, "data-link": true }, "Sign in")),
  );
  return { element: section };
}

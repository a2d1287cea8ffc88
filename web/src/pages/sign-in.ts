// Sign in: a username-less passkey button, and passkeys offered in the username field's autofill.
import { PAGES } from "../../../shared/routes.ts";
import { h, statusLine } from "../dom.ts";
import { passkeySignInForm } from "../passkey-sign-in-form.ts";
import type { Page, PageContext } from "./page.ts";

export function signInPage(ctx: PageContext): Page {
  const status = statusLine();
  if (ctx.notice) status.show(ctx.notice, "info");
  const form = passkeySignInForm({
    flow: ctx.flow,
    onSignedIn: (tokens) => {
      ctx.auth.acceptTokens(tokens);
      ctx.navigate(PAGES.account);
    },
    onError: (error) => status.show(error instanceof Error ? error.message : "Sign-in failed."),
    onStart: () => status.clear(),
  });

  const element = h(
    "section",
    { class: "card", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in"),
    h("p", {}, "Use the passkey on this device, your phone, or a security key. No password needed."),
    form.element,
    status.element,
    h("p", { class: "alt" }, "New here? ", h("a", { href: PAGES.signUp, "data-link": true }, "Create an account")),
    h("p", { class: "alt" }, "Lost your passkeys? ", h("a", { href: PAGES.recover, "data-link": true }, "Use a recovery code")),
    h("p", { class: "alt" }, "Developers: ", h("a", { href: PAGES.docs, "data-link": true }, "API reference")),
  );
  return { element, dispose: form.dispose };
}

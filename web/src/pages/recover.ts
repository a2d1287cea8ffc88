// Recover an account with a recovery code: a new passkey on this device, every other session ended.
import * as v from "valibot";
import { PAGES } from "../../../shared/routes.ts";
import { Username } from "../../../shared/schemas.ts";
import { h, statusLine } from "../dom.ts";
import { recoverWithCode } from "../passkeys.ts";
import type { Page, PageContext } from "./page.ts";

export function recoverPage(ctx: PageContext): Page {
  const status = statusLine();
  const username = h("input", { id: "recover-username", type: "text", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const code = h("input", {
    id: "recover-code",
    type: "text",
    autocomplete: "one-time-code",
    required: true,
    placeholder: "XXXX-XXXX-XXXX",
    spellcheck: "false",
  });
  const button = h("button", { type: "submit", id: "recover" }, "Recover and add a new passkey");
  const form = h(
    "form",
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        status.clear();
        const name = v.safeParse(Username, username.value);
        if (!name.success) return status.show(`Username ${name.issues[0].message}.`);
        button.disabled = true;
        try {
          ctx.auth.acceptTokens(await recoverWithCode({ username: name.output, code: code.value }, ctx.flow));
          ctx.navigate(PAGES.account);
        } catch (error) {
          status.show(error instanceof Error ? error.message : "Recovery failed.");
        } finally {
          button.disabled = false;
        }
      },
    },
    h("label", { for: "recover-username" }, "Username"),
    username,
    h("label", { for: "recover-code" }, "Recovery code"),
    code,
    button,
  );
  return {
    element: h(
      "section",
      { class: "card", "aria-labelledby": "recover-title" },
      h("h1", { id: "recover-title" }, "Recover your account"),
      h(
        "p",
        {},
        "Enter one of the recovery codes you saved at sign-up. This device then makes a new passkey, and every other session of the account is signed out.",
      ),
      form,
      status.element,
      h("p", { class: "alt" }, h("a", { href: PAGES.signIn, "data-link": true }, "← Back to sign in")),
    ),
  };
}

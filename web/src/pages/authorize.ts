// The OpenID Provider's sign-in and consent page (/oidc/interaction/:uid): an app sent the person
// here to sign in. A live platform session answers at once (no second ceremony) unless the app
// asked for a fresh sign-in; then the passkey confirms it. Third-party apps then ask for consent.
import { PAGES, ROUTES, routePath } from "../../../shared/routes.ts";
import type { InteractionDetails, TokenResponse } from "../../../shared/schemas.ts";
import { ApiError, fetchOrThrow, readApiError } from "../auth-client.ts";
import { h, statusLine } from "../dom.ts";
import { passkeySignInForm } from "../passkey-sign-in-form.ts";
import { stepUpWithPasskey } from "../passkeys.ts";
import type { Page, PageContext } from "./page.ts";

const SCOPE_WORDS: Record<string, string> = {
  openid: "Know who you are on this platform (an identifier only)",
  profile: "See your name and username",
  offline_access: "Stay signed in while you are away",
  api: "Call the services below as you",
};

export function authorizePage(ctx: PageContext): Page {
  const uid = decodeURIComponent(location.pathname.split("/")[3] ?? "");
  const status = statusLine();
  const body = h("div", { id: "authorize-body" }, h("p", { class: "muted" }, "Loading…"));
  const title = h("h1", { id: "authorize-title" }, "Sign in");
  let active = true;
  const showError = (error: unknown) => {
    if (active) status.show(error instanceof Error ? error.message : "Something went wrong.");
  };
  const go = ({ redirectTo }: { redirectTo: string }) => location.assign(redirectTo);
  const post = (route: string) => ctx.auth.api<{ redirectTo: string }>(routePath(route, { uid }), { method: "POST" });
  const decline = async () => {
    const response = await fetchOrThrow(fetch, routePath(ROUTES.interactionAbort, { uid }), { method: "POST" });
    if (!response.ok) throw await readApiError(response);
    go((await response.json()) as { redirectTo: string });
  };
  const declineButton = () =>
    h("button", { type: "button", class: "secondary", id: "decline", onclick: () => void decline().catch(showError) }, "Cancel and go back to the app");

  /** The live platform session answers the app's sign-in; if the app wants a fresh one, the passkey confirms it first. */
  const continueAs = async (details: InteractionDetails) => {
    try {
      go(await post(ROUTES.interactionLogin));
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "reauthentication_required" || !details.reauthenticate) throw error;
      if (await stepUpWithPasskey(ctx.auth)) go(await post(ROUTES.interactionLogin));
    }
  };

  let signInForm: { dispose(): void } | undefined;
  const showSignIn = (details: InteractionDetails) => {
    title.textContent = `Sign in to ${details.client.name}`;
    // One sign-in answers the request: whichever ceremony finishes first continues (a second
    // answer would race it to the provider).
    let answered = false;
    const form = passkeySignInForm({
      flow: ctx.flow,
      onSignedIn: async (tokens: TokenResponse) => {
        if (answered) return;
        answered = true;
        ctx.auth.acceptTokens(tokens);
        try {
          await continueAs(details);
        } catch (error) {
          answered = false;
          throw error;
        }
      },
      onError: showError,
      onStart: () => status.clear(),
    });
    signInForm = form;
    body.replaceChildren(
      h("p", {}, `${details.client.name} asks you to sign in with your passkey on this platform.`),
      form.element,
      h(
        "p",
        { class: "alt" },
        "New here? ",
        h("a", { href: `${PAGES.signUp}?next=${encodeURIComponent(location.pathname)}`, id: "create-account" }, "Create an account"),
        ", then come back to this app.",
      ),
      declineButton(),
    );
  };

  const showSignedIn = (details: InteractionDetails) => {
    const user = ctx.auth.state.user!;
    title.textContent = `Sign in to ${details.client.name}`;
    body.replaceChildren(
      h("p", {}, `${details.client.name} asks you to sign in again. Confirm it is you, ${user.displayName || user.username}, with your passkey.`),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", id: "confirm-sign-in", onclick: () => void continueAs(details).catch(showError) }, "Confirm with a passkey"),
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            id: "other-account",
            onclick: () =>
              void ctx.auth
                .signOut()
                .then(() => showSignIn(details))
                .catch(showError),
          },
          "Use another account",
        ),
      ),
      declineButton(),
    );
  };

  const showConsent = (details: InteractionDetails) => {
    title.textContent = `Allow ${details.client.name}?`;
    const user = ctx.auth.state.user!;
    body.replaceChildren(
      h(
        "div",
        {},
        h("p", {}, `Signed in as ${user.username}. ${details.client.name} would like to:`),
        h("ul", { id: "consent-scopes", class: "list" }, ...details.scopes.map((scope) => h("li", { "data-scope": scope }, SCOPE_WORDS[scope] ?? scope))),
        details.resources.length > 0
          ? h("ul", { id: "consent-resources", class: "list" }, ...details.resources.map((resource) => h("li", {}, resource)))
          : null,
      ),
      h("p", { class: "muted" }, "You can remove its access at any time from your account page, under “Apps with access”."),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", id: "allow", onclick: () => void post(ROUTES.interactionConsent).then(go).catch(showError) }, "Allow"),
        h("button", { type: "button", class: "secondary", id: "deny", onclick: () => void decline().catch(showError) }, "Deny"),
      ),
    );
  };

  const start = async () => {
    const response = await fetchOrThrow(fetch, routePath(ROUTES.interactionDetails, { uid }), { method: "GET" });
    if (!response.ok) throw await readApiError(response);
    const details = (await response.json()) as InteractionDetails;
    const signedIn = ctx.auth.state.user !== null;
    if (details.prompt === "consent" && signedIn) return showConsent(details);
    if (!signedIn) return showSignIn(details);
    if (details.reauthenticate) return showSignedIn(details);
    // Signed in on this platform already: that session answers, no second ceremony.
    await continueAs(details);
  };
  void start().catch((error: unknown) => {
    body.replaceChildren();
    showError(error);
  });

  return {
    element: h("section", { class: "card", "aria-labelledby": "authorize-title" }, title, body, status.element),
    dispose() {
      active = false;
      signInForm?.dispose();
    },
  };
}

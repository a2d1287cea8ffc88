// Account: who is signed in, the access token's remaining life, sign out, sign out everywhere.
import { ROUTES } from "../../../shared/routes.ts";
import type { PublicUser } from "../../../shared/schemas.ts";
import { h, statusLine } from "../dom.ts";
import type { Page, PageContext } from "./page.ts";

const COUNTDOWN_INTERVAL_MS = 1000;

export function accountPage(ctx: PageContext): Page {
  const status = statusLine();
  const details = h("dl", { id: "profile" });
  const expiry = h("p", { id: "token-expiry", class: "muted" });

  const showUser = (user: PublicUser) => {
    details.replaceChildren(
      h("dt", {}, "Username"),
      h("dd", { id: "profile-username" }, user.username),
      h("dt", {}, "Display name"),
      h("dd", {}, user.displayName),
      h("dt", {}, "Role"),
      h("dd", {}, user.role),
      h("dt", {}, "Member since"),
      h("dd", {}, new Date(user.createdAt).toLocaleString()),
    );
  };
  const tick = () => {
    const { expiresAt } = ctx.auth.state;
    expiry.textContent = expiresAt === null ? "" : `Access token renews automatically; current one expires in ${Math.max(0, Math.round((expiresAt - Date.now()) / 1000))} s.`;
  };
  const countdown = setInterval(tick, COUNTDOWN_INTERVAL_MS);
  tick();

  // Loaded through the API client, so this page exercises the bearer token and its refresh.
  ctx.auth
    .api<PublicUser>(ROUTES.me)
    .then(showUser)
    .catch((error: unknown) => status.show(error instanceof Error ? error.message : "Could not load your account."));

  const signOut = h(
    "button",
    { type: "button", id: "sign-out", onclick: () => void ctx.auth.signOut() },
    "Sign out",
  );
  const signOutEverywhere = h(
    "button",
    {
      type: "button",
      id: "sign-out-everywhere",
      class: "secondary",
      onclick: () => {
        if (!confirm("Sign out on every device, including this one?")) return;
        ctx.auth.signOutEverywhere().catch((error: unknown) => status.show(error instanceof Error ? error.message : "Could not sign out everywhere."));
      },
    },
    "Sign out everywhere",
  );

  return {
    element: h(
      "section",
      { class: "card", "aria-labelledby": "account-title" },
      h("h1", { id: "account-title" }, "Your account"),
      details,
      expiry,
      h("div", { class: "actions" }, signOut, signOutEverywhere),
      status.element,
    ),
    dispose() {
      clearInterval(countdown);
    },
  };
}

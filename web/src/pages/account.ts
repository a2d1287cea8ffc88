// Account: who is signed in, their sessions (revoke any, sign out everywhere), and their
// security timeline ("why was I signed out?").
import { PAGES, ROUTES, routePath } from "../../../shared/routes.ts";
import type { AppAccess, AuditEvent, PasskeyInfo, PasskeyList, PublicUser, SessionInfo } from "../../../shared/schemas.ts";
import { h, statusLine } from "../dom.ts";
import { describeDevice, describeEvent, formatTime } from "../format.ts";
import { flowInspector } from "../inspector.ts";
import { addPasskey, signalPasskeyDeleted } from "../passkeys.ts";
import { recoveryCodesPanel } from "../recovery-codes.ts";
import type { Page, PageContext } from "./page.ts";

const COUNTDOWN_INTERVAL_MS = 1000;

export function accountPage(ctx: PageContext): Page {
  const status = statusLine();
  const details = h("dl", { id: "profile" });
  const expiry = h("p", { id: "token-expiry", class: "muted" });
  const adminLink = h("p", { class: "alt" });
  const sessionList = h("ul", { id: "sessions", class: "list" });
  const activityList = h("ol", { id: "activity", class: "list" });
  const appList = h("ul", { id: "apps", class: "list" });
  const showError = (error: unknown) => status.show(error instanceof Error ? error.message : "Something went wrong.");
  const passkeyList = h("ul", { id: "passkeys", class: "list" });
  const recovery = h("div", { id: "recovery" });
  let username = "";

  const showPasskeys = (list: PasskeyList) => {
    passkeyList.replaceChildren(
      ...list.passkeys.map((passkey) =>
        h(
          "li",
          { "data-passkey-id": passkey.id },
          h(
            "div",
            {},
            h("strong", { class: "passkey-name" }, passkey.name),
            h(
              "div",
              { class: "muted" },
              [
                passkey.providerName,
                passkey.kind === "synced" ? (passkey.backedUp ? "synced, backed up" : "synced, not yet backed up") : "this device only",
                `added ${formatTime(passkey.createdAt)}`,
                passkey.lastUsedAt ? `last used ${formatTime(passkey.lastUsedAt)}` : null,
              ]
                .filter(Boolean)
                .join(" · "),
            ),
          ),
          h(
            "div",
            { class: "row-actions" },
            h("button", { type: "button", class: "secondary small", "data-action": "rename", onclick: () => void rename(passkey).catch(showError) }, "Rename"),
            h(
              "button",
              { type: "button", class: "secondary small", "data-action": "remove", onclick: () => void remove(list, passkey).catch(showError) },
              "Remove",
            ),
          ),
        ),
      ),
    );
  };
  const loadPasskeys = () => ctx.auth.api<PasskeyList>(ROUTES.passkeys).then(showPasskeys);
  const rename = async (passkey: PasskeyInfo) => {
    const name = prompt("Name this passkey", passkey.name)?.trim();
    if (!name || name === passkey.name) return;
    await ctx.auth.api<void>(routePath(ROUTES.passkey, { id: passkey.id }), { method: "PATCH", body: JSON.stringify({ name }) });
    await loadPasskeys();
  };
  const remove = async (list: PasskeyList, passkey: PasskeyInfo) => {
    if (!confirm(`Remove “${passkey.name}”? It will no longer sign in, and sessions it opened on other devices end.`)) return;
    // An old sign-in makes the API ask for a fresh passkey check first (step-up), then this runs.
    await ctx.auth.api<void>(routePath(ROUTES.passkey, { id: passkey.id }), { method: "DELETE" });
    await signalPasskeyDeleted(list, passkey);
    status.show(`Removed “${passkey.name}”.`, "info");
    await Promise.all([loadPasskeys(), loadSessions(), loadActivity()]);
  };
  const add = async () => {
    status.clear();
    const passkey = await addPasskey(ctx.auth, ctx.flow);
    status.show(`Added “${passkey.name}”.`, "info");
    await Promise.all([loadPasskeys(), loadActivity()]);
  };
  const loadRecovery = () =>
    ctx.auth.api<{ remaining: number }>(ROUTES.recoveryCodes).then(({ remaining }) =>
      recovery.replaceChildren(
        h("p", { id: "recovery-remaining" }, `${remaining} unused recovery code${remaining === 1 ? "" : "s"}.`),
        h(
          "button",
          {
            type: "button",
            class: "secondary small",
            id: "new-recovery-codes",
            onclick: () =>
              void ctx.auth
                .api<{ recoveryCodes: string[] }>(ROUTES.recoveryCodes, { method: "POST" })
                .then(({ recoveryCodes }) => recovery.replaceChildren(recoveryCodesPanel(recoveryCodes, { username })))
                .catch(showError),
          },
          "Make new codes (the old ones stop working)",
        ),
      ),
    );

  const showUser = (user: PublicUser) => {
    username = user.username;
    details.replaceChildren(
      h("dt", {}, "Username"),
      h("dd", { id: "profile-username" }, user.username),
      h("dt", {}, "Display name"),
      h("dd", {}, user.displayName),
      h("dt", {}, "Role"),
      h("dd", { id: "profile-role" }, user.role),
      h("dt", {}, "Member since"),
      h("dd", {}, formatTime(user.createdAt)),
    );
    adminLink.replaceChildren(...(user.role === "admin" ? [h("a", { href: PAGES.admin, "data-link": true, id: "admin-link" }, "Admin console")] : []));
  };

  const revoke = async (session: SessionInfo) => {
    if (session.current) return ctx.auth.signOut();
    await ctx.auth.api<void>(routePath(ROUTES.session, { id: session.id }), { method: "DELETE" });
    // Apps allowed in that session lose their access with it.
    await Promise.all([loadSessions(), loadActivity(), loadApps()]);
  };

  const showSessions = (sessions: SessionInfo[]) => {
    sessionList.replaceChildren(
      ...sessions.map((session) =>
        h(
          "li",
          { "data-session-id": session.id },
          h(
            "div",
            {},
            h("strong", {}, describeDevice(session.userAgent)),
            session.current ? h("span", { class: "badge" }, "This device") : null,
            h(
              "div",
              { class: "muted" },
              `Signed in ${formatTime(session.createdAt)}${session.passkey ? ` with “${session.passkey.name}”` : ""} · last active ${formatTime(session.lastUsedAt)}${session.ip ? ` · ${session.ip}` : ""}`,
            ),
          ),
          h(
            "button",
            { type: "button", class: "secondary small", onclick: () => void revoke(session).catch(showError) },
            session.current ? "Sign out" : "Revoke",
          ),
        ),
      ),
    );
  };

  const showActivity = (events: AuditEvent[]) => {
    activityList.replaceChildren(
      ...events.map((event) =>
        h(
          "li",
          {},
          h("span", {}, describeEvent(event.type, event.detail)),
          h("span", { class: "muted" }, ` ${formatTime(event.createdAt)} · ${describeDevice(event.userAgent)}`),
        ),
      ),
    );
  };

  const removeApp = async (app: AppAccess) => {
    if (!confirm(`Remove ${app.name}'s access? It can no longer act for you; you would sign in to it again.`)) return;
    await ctx.auth.api<void>(routePath(ROUTES.app, { clientId: app.clientId }), { method: "DELETE" });
    await Promise.all([loadApps(), loadActivity()]);
  };
  const showApps = (apps: AppAccess[]) => {
    appList.replaceChildren(
      ...(apps.length === 0
        ? [h("li", { class: "muted" }, "No app signs you in through this platform.")]
        : apps.map((app) =>
            h(
              "li",
              { "data-client-id": app.clientId },
              h("div", {}, h("strong", {}, app.name), h("div", { class: "muted" }, `Allowed ${formatTime(app.grantedAt)}`)),
              h("button", { type: "button", class: "secondary small", onclick: () => void removeApp(app).catch(showError) }, "Remove access"),
            ),
          )),
    );
  };
  const loadApps = () => ctx.auth.api<AppAccess[]>(ROUTES.apps).then(showApps);
  const loadSessions = () => ctx.auth.api<SessionInfo[]>(ROUTES.sessions).then(showSessions);
  const loadActivity = () => ctx.auth.api<AuditEvent[]>(ROUTES.myActivity).then(showActivity);

  const tick = () => {
    const { expiresAt } = ctx.auth.state;
    expiry.textContent =
      expiresAt === null ? "" : `Access token renews automatically; current one expires in ${Math.max(0, Math.round((expiresAt - Date.now()) / 1000))} s.`;
  };
  const countdown = setInterval(tick, COUNTDOWN_INTERVAL_MS);
  const inspector = flowInspector(ctx);
  tick();

  const signOutEverywhere = h(
    "button",
    {
      type: "button",
      id: "sign-out-everywhere",
      class: "secondary",
      onclick: () => {
        if (!confirm("Sign out on every device, including this one?")) return;
        ctx.auth.signOutEverywhere().catch(showError);
      },
    },
    "Sign out everywhere",
  );

  // aria-busy until every section has loaded (assistive technology and tests wait for it).
  const element = h(
    "section",
    { class: "card", "aria-labelledby": "account-title", "aria-busy": "true" },
    h("h1", { id: "account-title" }, "Your account"),
    details,
    expiry,
    adminLink,
    h("div", { class: "actions" }, h("button", { type: "button", id: "sign-out", onclick: () => void ctx.auth.signOut() }, "Sign out"), signOutEverywhere),
    status.element,
    h("h2", {}, "Your passkeys"),
    passkeyList,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary small", id: "add-passkey", onclick: () => void add().catch(showError) }, "Add a passkey"),
    ),
    h("h2", {}, "Recovery codes"),
    recovery,
    h("h2", {}, "Where you are signed in"),
    sessionList,
    h("h2", {}, "Apps with access"),
    appList,
    h("h2", {}, "Recent security activity"),
    activityList,
    h(
      "details",
      { class: "inspector-panel" },
      h("summary", {}, "Flow inspector: how this sign-in works"),
      h("p", { class: "alt" }, h("a", { href: PAGES.flow, "data-link": true }, "Open full page")),
      inspector.element,
    ),
    h("p", { class: "alt" }, "Building on this? ", h("a", { href: PAGES.docs, "data-link": true, id: "docs-link" }, "API reference")),
  );

  // Loaded through the API client, so this page exercises the bearer token and its refresh.
  ctx.auth
    .api<PublicUser>(ROUTES.me)
    .then(showUser)
    .then(() => Promise.all([loadPasskeys(), loadSessions(), loadActivity(), loadRecovery(), loadApps()]))
    .catch(showError)
    .finally(() => element.setAttribute("aria-busy", "false"));

  return {
    element,
    dispose() {
      clearInterval(countdown);
      inspector.dispose();
    },
  };
}

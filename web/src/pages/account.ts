// Account: who is signed in, their sessions (revoke any, sign out everywhere), and their
// security timeline ("why was I signed out?").
import { PAGES, ROUTES, routePath } from "../../../shared/routes.ts";
import type { AuditEvent, PublicUser, SessionInfo } from "../../../shared/schemas.ts";
import { h, statusLine } from "../dom.ts";
import { describeDevice, describeEvent, formatTime } from "../format.ts";
import { flowInspector } from "../inspector.ts";
import type { Page, PageContext } from "./page.ts";

const COUNTDOWN_INTERVAL_MS = 1000;

export function accountPage(ctx: PageContext): Page {
  const status = statusLine();
  const details = h("dl", { id: "profile" });
  const expiry = h("p", { id: "token-expiry", class: "muted" });
  const adminLink = h("p", { class: "alt" });
  const sessionList = h("ul", { id: "sessions", class: "list" });
  const activityList = h("ol", { id: "activity", class: "list" });
  const showError = (error: unknown) => status.show(error instanceof Error ? error.message : "Something went wrong.");

  const showUser = (user: PublicUser) => {
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
    await Promise.all([loadSessions(), loadActivity()]);
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
        h("li", {}, h("span", {}, describeEvent(event.type, event.detail)), h("span", { class: "muted" }, ` ${formatTime(event.createdAt)} · ${describeDevice(event.userAgent)}`)),
      ),
    );
  };

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

  // Loaded through the API client, so this page exercises the bearer token and its refresh.
  ctx.auth
    .api<PublicUser>(ROUTES.me)
    .then(showUser)
    .then(() => Promise.all([loadSessions(), loadActivity()]))
    .catch(showError);

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

  return {
    element: h(
      "section",
      { class: "card", "aria-labelledby": "account-title" },
      h("h1", { id: "account-title" }, "Your account"),
      details,
      expiry,
      adminLink,
      h("div", { class: "actions" }, h("button", { type: "button", id: "sign-out", onclick: () => void ctx.auth.signOut() }, "Sign out"), signOutEverywhere),
      status.element,
      h("h2", {}, "Where you are signed in"),
      sessionList,
      h("h2", {}, "Recent security activity"),
      activityList,
      h(
        "details",
        { class: "inspector-panel" },
        h("summary", {}, "Flow inspector: how this sign-in works"),
        h("p", { class: "alt" }, h("a", { href: PAGES.flow, "data-link": true }, "Open full page")),
        inspector.element,
      ),
    ),
    dispose() {
      clearInterval(countdown);
      inspector.dispose();
    },
  };
}

// Admin console: find users, change roles, block and unblock, read the audit log, register apps.
import { PAGES, ROUTES, routePath } from "../../../shared/routes.ts";
import type { AdminUser, AdminUserPage, AuditPage } from "../../../shared/schemas.ts";
import { h, statusLine } from "../dom.ts";
import { clientsSection } from "../admin-clients.ts";
import { describeDevice, describeEvent, EVENT_TYPES, formatTime } from "../format.ts";
import type { Page, PageContext } from "./page.ts";

const USERS_PAGE_SIZE = 20;
const AUDIT_PAGE_SIZE = 50;

export function adminPage(ctx: PageContext): Page {
  const status = statusLine();
  const showError = (error: unknown) => status.show(error instanceof Error ? error.message : "Something went wrong.");

  // Users: search and pages.
  let search = "";
  let offset = 0;
  const userRows = h("tbody", { id: "admin-users" });
  const pager = h("p", { class: "muted" });
  const previous = h("button", { type: "button", class: "secondary small", onclick: () => void loadUsers(offset - USERS_PAGE_SIZE) }, "Previous");
  const next = h("button", { type: "button", class: "secondary small", onclick: () => void loadUsers(offset + USERS_PAGE_SIZE) }, "Next");
  const searchInput = h("input", { type: "search", id: "user-search", placeholder: "Search usernames", "aria-label": "Search usernames" });

  const patchUser = async (user: AdminUser, patch: { role?: "user" | "admin"; blocked?: boolean }) => {
    status.clear();
    try {
      await ctx.auth.api<AdminUser>(routePath(ROUTES.adminUser, { id: user.id }), { method: "PATCH", body: JSON.stringify(patch) });
      await Promise.all([loadUsers(offset), loadAudit()]);
    } catch (error) {
      showError(error);
    }
  };

  const userRow = (user: AdminUser) =>
    h(
      "tr",
      { "data-username": user.username },
      h("td", {}, h("strong", {}, user.username), h("div", { class: "muted" }, user.displayName)),
      h("td", {}, user.role),
      h("td", {}, user.blocked ? "blocked" : "active"),
      h("td", {}, String(user.passkeyCount)),
      h("td", {}, String(user.sessionCount)),
      h(
        "td",
        {},
        h(
          "div",
          { class: "row-actions" },
          h(
            "button",
            { type: "button", class: "secondary small", onclick: () => void patchUser(user, { role: user.role === "admin" ? "user" : "admin" }) },
            user.role === "admin" ? "Make user" : "Make admin",
          ),
          // No Block on one's own row: the server refuses it (409 cannot_block_self).
          user.id === ctx.auth.state.user?.id
            ? null
            : h(
                "button",
                { type: "button", class: "secondary small", "data-action": "block", onclick: () => void patchUser(user, { blocked: !user.blocked }) },
                user.blocked ? "Unblock" : "Block",
              ),
          h("button", { type: "button", class: "secondary small", onclick: () => void loadAudit({ userId: user.id, label: user.username }) }, "Events"),
        ),
      ),
    );

  async function loadUsers(nextOffset: number) {
    offset = Math.max(0, nextOffset);
    const query = new URLSearchParams({ q: search, limit: String(USERS_PAGE_SIZE), offset: String(offset) });
    const page = await ctx.auth.api<AdminUserPage>(`${ROUTES.adminUsers}?${query}`).catch((error: unknown) => {
      showError(error);
      return null;
    });
    if (!page) return;
    userRows.replaceChildren(...page.users.map(userRow));
    pager.textContent = page.total === 0 ? "No users match." : `${offset + 1}–${offset + page.users.length} of ${page.total}`;
    previous.disabled = offset === 0;
    next.disabled = offset + page.users.length >= page.total;
  }

  // Audit log: filters and "older" paging.
  let auditFilter: { userId?: string; label?: string; type?: string } = {};
  let before: number | null = null;
  const auditRows = h("tbody", { id: "admin-audit" });
  const auditFilterLabel = h("span", { class: "muted" });
  const typeSelect = h(
    "select",
    { id: "audit-type", "aria-label": "Event type" },
    h("option", { value: "" }, "All events"),
    ...EVENT_TYPES.map((type) => h("option", { value: type }, type)),
  );
  typeSelect.addEventListener("change", () => void loadAudit({ ...auditFilter, type: typeSelect.value || undefined }));
  const older = h("button", { type: "button", class: "secondary small", onclick: () => void loadAudit(auditFilter, { append: true }) }, "Older events");

  async function loadAudit(filter = auditFilter, options: { append?: boolean } = {}) {
    auditFilter = filter;
    const query = new URLSearchParams({ limit: String(AUDIT_PAGE_SIZE) });
    if (filter.userId) query.set("userId", filter.userId);
    if (filter.type) query.set("type", filter.type);
    if (options.append && before !== null) query.set("before", String(before));
    const page = await ctx.auth.api<AuditPage>(`${ROUTES.adminAudit}?${query}`).catch((error: unknown) => {
      showError(error);
      return null;
    });
    if (!page) return;
    const rows = page.events.map((event) =>
      h(
        "tr",
        {},
        h("td", {}, formatTime(event.createdAt)),
        h("td", {}, describeEvent(event.type, event.detail)),
        h("td", {}, event.username ?? "–"),
        h("td", {}, `${describeDevice(event.userAgent)}${event.ip ? ` · ${event.ip}` : ""}`),
      ),
    );
    if (options.append) auditRows.append(...rows);
    else auditRows.replaceChildren(...rows);
    before = page.nextBefore;
    older.disabled = before === null;
    auditFilterLabel.textContent = filter.label ? ` for ${filter.label}` : "";
  }

  const searchForm = h(
    "form",
    {
      class: "inline",
      onsubmit: (event: Event) => {
        event.preventDefault();
        search = searchInput.value;
        void loadUsers(0);
      },
    },
    searchInput,
    h("button", { type: "submit", class: "small" }, "Search"),
  );

  const clients = clientsSection(ctx.auth, showError);
  void loadUsers(0);
  void loadAudit();
  void clients.load().catch(showError);

  return {
    element: h(
      "section",
      { class: "card wide", "aria-labelledby": "admin-title" },
      h("h1", { id: "admin-title" }, "Admin console"),
      h("p", { class: "alt" }, h("a", { href: PAGES.account, "data-link": true }, "← Your account")),
      status.element,
      h("h2", {}, "Users"),
      searchForm,
      h("table", {}, h("thead", {}, h("tr", {}, ...["User", "Role", "Status", "Passkeys", "Sessions", ""].map((title) => h("th", {}, title)))), userRows),
      h("div", { class: "actions" }, previous, next, pager),
      h("h2", {}, "Audit log", auditFilterLabel),
      h("div", { class: "inline" }, typeSelect, h("button", { type: "button", class: "secondary small", onclick: () => void loadAudit({}) }, "Clear filters")),
      h("table", {}, h("thead", {}, h("tr", {}, ...["Time", "Event", "User", "From"].map((title) => h("th", {}, title)))), auditRows),
      h("div", { class: "actions" }, older),
      clients.element,
    ),
  };
}

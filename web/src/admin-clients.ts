// The admin console's apps section: the OpenID Provider's registered clients, a form to register
// one (its secret shown once), and removing one.
import { ROUTES, routePath } from "../../shared/routes.ts";
import type { OidcClient, RegisteredClient } from "../../shared/schemas.ts";
import type { AuthClient } from "./auth-client.ts";
import { h } from "./dom.ts";
import { formatTime } from "./format.ts";

const lines = (text: string) =>
  text
    .split(/\s+/)
    .map((line) => line.trim())
    .filter(Boolean);

export function clientsSection(auth: AuthClient, showError: (error: unknown) => void): { element: HTMLElement; load(): Promise<void> } {
  const rows = h("tbody", { id: "admin-clients" });
  const created = h("div", { id: "client-created" });

  const remove = async (client: OidcClient) => {
    if (!confirm(`Remove “${client.name}”? Everyone signed in to it through this platform loses access at once.`)) return;
    await auth.api<void>(routePath(ROUTES.adminClient, { id: client.clientId }), { method: "DELETE" });
    await load();
  };

  async function load() {
    const clients = await auth.api<OidcClient[]>(ROUTES.adminClients);
    rows.replaceChildren(
      ...clients.map((client) =>
        h(
          "tr",
          { "data-client-id": client.clientId },
          h("td", {}, h("strong", {}, client.name), h("div", { class: "muted" }, client.clientId)),
          h("td", {}, `${client.type}${client.firstParty ? ", first-party" : ""}`),
          h("td", {}, client.redirectUris.join(" ")),
          h("td", {}, client.resources.join(" ") || "–"),
          h("td", {}, formatTime(client.createdAt)),
          h("td", {}, h("button", { type: "button", class: "secondary small", onclick: () => void remove(client).catch(showError) }, "Remove")),
        ),
      ),
    );
  }

  const name = h("input", { id: "client-name", required: true, placeholder: "Photo app" });
  const redirects = h("input", { id: "client-redirect-uris", required: true, placeholder: "https://app.example/callback" });
  const logoutRedirects = h("input", { id: "client-logout-uris", placeholder: "optional" });
  const resources = h("input", { id: "client-resources", placeholder: "optional, from RESOURCES" });
  const confidential = h("input", { id: "client-confidential", type: "checkbox" });
  const firstParty = h("input", { id: "client-first-party", type: "checkbox" });
  const form = h(
    "form",
    {
      id: "register-client",
      onsubmit: (event: Event) => {
        event.preventDefault();
        created.replaceChildren();
        const body = {
          name: name.value,
          redirectUris: lines(redirects.value),
          postLogoutRedirectUris: lines(logoutRedirects.value),
          resources: lines(resources.value),
          confidential: confidential.checked,
          firstParty: firstParty.checked,
        };
        void auth
          .api<RegisteredClient>(ROUTES.adminClients, { method: "POST", body: JSON.stringify(body) })
          .then((registered) => {
            created.replaceChildren(
              h("p", {}, "Registered. client_id: ", h("code", { id: "new-client-id" }, registered.client.clientId)),
              registered.clientSecret === null
                ? h("p", { class: "muted" }, "A public client: it proves itself with PKCE, no secret.")
                : h("p", {}, "client_secret (shown this once, store it now): ", h("code", { id: "new-client-secret" }, registered.clientSecret)),
            );
            form.reset();
            return load();
          })
          .catch(showError);
      },
    },
    h("label", { for: "client-name" }, "Name people see"),
    name,
    h("label", { for: "client-redirect-uris" }, "Redirect URIs (space-separated, exact)"),
    redirects,
    h("label", { for: "client-logout-uris" }, "Post-logout redirect URIs"),
    logoutRedirects,
    h("label", { for: "client-resources" }, "Resources it may ask tokens for"),
    resources,
    h("label", {}, confidential, " Confidential (a server-side app with a secret)"),
    h("label", {}, firstParty, " First-party (no consent page)"),
    h("button", { type: "submit", class: "small" }, "Register app"),
  );

  return {
    element: h(
      "div",
      {},
      h("h2", {}, "Apps (OpenID clients)"),
      h("table", {}, h("thead", {}, h("tr", {}, ...["App", "Type", "Redirect URIs", "Resources", "Registered", ""].map((t) => h("th", {}, t)))), rows),
      form,
      created,
    ),
    load,
  };
}

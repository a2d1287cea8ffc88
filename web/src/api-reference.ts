// The API reference's renderer: one entry per operation of /openapi.json, with its schemas and
// answers, and a form to try it. Bearer routes are sent through the app's auth client (your
// session's token is attached, never shown); cookie routes are left to the client itself.
import { PAGES, ROUTES } from "../../shared/routes.ts";
import { ApiError } from "./auth-client.ts";
import { h } from "./dom.ts";
import type { PageContext } from "./pages/page.ts";

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  items?: Schema;
  default?: unknown;
};
interface OpenApiOperation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  security: Record<string, unknown>[];
  parameters?: { name: string; in: "path" | "query"; required: boolean; schema: Schema }[];
  requestBody?: { content: { "application/json": { schema: Schema } } };
  responses: Record<string, { description: string }>;
}
interface OpenApiDocument {
  info: { title: string; description: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

const pretty = (value: unknown) => h("pre", { class: "json" }, JSON.stringify(value, null, 2));

/** A starting body: the schema's fields with placeholder values of the right type. */
function example(schema: Schema | undefined): unknown {
  if (!schema) return {};
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "object") {
    const out: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(schema.properties ?? {})) out[name] = example(property);
    return out;
  }
  if (type === "array") return [];
  if (type === "number" || type === "integer") return 0;
  if (type === "boolean") return false;
  return "";
}

export async function renderApiReference(container: HTMLElement, ctx: PageContext): Promise<void> {
  const document = (await (await fetch(ROUTES.openapi)).json()) as OpenApiDocument;
  const signedIn = ctx.auth.state.user !== null;
  const byTag = new Map<string, { method: string; path: string; op: OpenApiOperation }[]>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods)) byTag.set(op.tags[0]!, [...(byTag.get(op.tags[0]!) ?? []), { method, path, op }]);
  }
  container.replaceChildren(
    h("p", {}, document.info.description),
    h(
      "p",
      { class: "muted" },
      "Machine-readable: ",
      h("a", { href: ROUTES.openapi }, ROUTES.openapi),
      " (OpenAPI 3.1). ",
      signedIn
        ? `Signed in as ${ctx.auth.state.user!.username}: "Send" on a bearer route uses your session.`
        : "Sign in to try the routes that need a bearer token.",
      " ",
      h("a", { href: signedIn ? PAGES.account : PAGES.signIn, "data-link": true }, signedIn ? "← Your account" : "Sign in"),
    ),
    ...[...byTag].flatMap(([tag, entries]) => [h("h2", {}, tag), ...entries.map((entry) => operationView(entry, ctx))]),
  );
}

function operationView({ method, path, op }: { method: string; path: string; op: OpenApiOperation }, ctx: PageContext): HTMLElement {
  const access = op.security.some((s) => "bearer" in s) ? "bearer" : op.security.some((s) => "refreshCookie" in s) ? "cookie" : "none";
  const pathInputs = (op.parameters ?? [])
    .filter((p) => p.in === "path")
    .map((p) => ({ name: p.name, input: h("input", { name: p.name, placeholder: p.name, "aria-label": p.name }) }));
  const query = op.parameters?.some((p) => p.in === "query")
    ? h("input", { name: "query", placeholder: "query, e.g. limit=10", "aria-label": "query string" })
    : null;
  const bodySchema = op.requestBody?.content["application/json"].schema;
  const body = bodySchema ? h("textarea", { name: "body", rows: "6", "aria-label": "JSON body" }) : null;
  if (body) body.value = JSON.stringify(example(bodySchema), null, 2);
  const answer = h("div", { class: "answer" });

  const send = async () => {
    let url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(pathInputs.find((p) => p.name === name)?.input.value ?? ""));
    if (query?.value) url += `?${query.value.replace(/^\?/, "")}`;
    const init: RequestInit = { method: method.toUpperCase(), ...(body ? { body: body.value, headers: { "content-type": "application/json" } } : {}) };
    answer.replaceChildren(h("p", { class: "muted" }, "Sending…"));
    if (access === "bearer") {
      try {
        const result = await ctx.auth.api<unknown>(url, init);
        answer.replaceChildren(h("p", { class: "status info" }, "OK"), result === undefined ? h("p", { class: "muted" }, "(no body)") : pretty(result));
      } catch (error) {
        const e = error instanceof ApiError ? error : new ApiError(0, "network_error", String(error));
        answer.replaceChildren(h("p", { class: "status error" }, `${e.status} ${e.code}`), h("p", {}, e.message));
      }
      return;
    }
    const response = await fetch(url, { ...init, credentials: "same-origin" });
    const text = await response.text();
    let shown: Node = h("p", { class: "muted" }, "(no body)");
    if (text) {
      try {
        shown = pretty(JSON.parse(text));
      } catch {
        shown = h("pre", { class: "json" }, text);
      }
    }
    answer.replaceChildren(h("p", { class: `status ${response.ok ? "info" : "error"}` }, `${response.status}`), shown);
  };

  const tryable = access !== "cookie" && (access === "none" || ctx.auth.state.user !== null);
  return h(
    "details",
    { class: "operation", "data-operation": op.operationId },
    h("summary", {}, h("code", {}, `${method.toUpperCase()} ${path}`), ` ${op.summary}`),
    op.description ? h("p", {}, op.description) : null,
    h(
      "p",
      { class: "muted" },
      access === "bearer"
        ? "Needs a bearer access token."
        : access === "cookie"
          ? "Uses the refresh cookie (the web app's client calls it for you)."
          : "No authentication.",
    ),
    bodySchema ? h("details", {}, h("summary", {}, "Request body schema"), pretty(bodySchema)) : null,
    h("ul", { class: "muted" }, ...Object.entries(op.responses).map(([status, response]) => h("li", {}, `${status}: ${response.description}`))),
    tryable
      ? h(
          "form",
          {
            onsubmit: (event: Event) => {
              event.preventDefault();
              void send();
            },
          },
          ...pathInputs.map((p) => p.input),
          query,
          body,
          h("button", { type: "submit", class: "small try" }, "Send"),
        )
      : null,
    answer,
  );
}

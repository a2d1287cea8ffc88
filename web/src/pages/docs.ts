// /docs: the interactive API reference. Rendered from /openapi.json, so it shows exactly what the
// server documents; the renderer is loaded only when someone opens the page.
import { h } from "../dom.ts";
import type { Page, PageContext } from "./page.ts";

export function docsPage(ctx: PageContext): Page {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading the API reference…"));
  let disposed = false;
  void import("../api-reference.ts")
    .then(({ renderApiReference }) => (disposed ? undefined : renderApiReference(body, ctx)))
    .catch(() => body.replaceChildren(h("p", { class: "status error" }, "The API reference could not be loaded.")));
  return {
    element: h("section", { class: "card wide", "aria-labelledby": "docs-title" }, h("h1", { id: "docs-title" }, "API reference"), body),
    dispose: () => {
      disposed = true;
    },
  };
}

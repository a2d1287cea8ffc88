// The flow inspector on a page of its own, for demos of "passkey in, token out".
import { PAGES } from "../../../shared/routes.ts";
import { h } from "../dom.ts";
import { flowInspector } from "../inspector.ts";
import type { Page, PageContext } from "./page.ts";

export function flowPage(ctx: PageContext): Page {
  const inspector = flowInspector(ctx);
  return {
    element: h(
      "section",
      { class: "card wide", "aria-labelledby": "flow-title" },
      h("h1", { id: "flow-title" }, "Flow inspector"),
      h("p", { class: "alt" }, h("a", { href: PAGES.account, "data-link": true }, "← Your account")),
      h(
        "p",
        {},
        "What the passkey ceremony exchanged, the access token it produced (decoded; the token string itself is never shown), and every refresh this tab made. The refresh token never appears: it lives in an HttpOnly cookie scripts cannot read.",
      ),
      inspector.element,
    ),
    dispose: () => inspector.dispose(),
  };
}

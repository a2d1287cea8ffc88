// The flow inspector: the last passkey ceremony step by step, the current access token decoded
// with a live countdown, and this tab's refresh history, for demos and for watching the flow.
import { decodeJwt, decodeProtectedHeader } from "jose";
import { ROUTES } from "../../shared/routes.ts";
import type { AuthClient, AuthEvent } from "./auth-client.ts";
import { h } from "./dom.ts";
import type { FlowLog } from "./flow-log.ts";

const TICK_MS = 1000;
const PARALLEL_CALLS = 10;

function json(value: unknown): HTMLElement {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

function describe(event: AuthEvent): string {
  switch (event.type) {
    case "refreshed":
      return `Refreshed (${event.trigger}): refresh token rotated, new access token ${event.jti?.slice(0, 8) ?? ""}`;
    case "refresh_shared":
      return `Refresh (${event.trigger}) not needed: another tab had just refreshed`;
    case "tokens_from_other_tab":
      return `New access token ${event.jti?.slice(0, 8) ?? ""} received from another tab`;
    case "retried_after_expiry":
      return `${event.path} answered token_expired: retried once with the new token`;
    case "signed_in":
      return `Signed in: access token ${event.jti?.slice(0, 8) ?? ""}`;
    case "signed_out":
      return `Session ended (${event.reason.replaceAll("_", " ")})`;
  }
}

export function flowInspector(ctx: { auth: AuthClient; flow: FlowLog }): { element: HTMLElement; dispose(): void } {
  const ceremony = h("div", { id: "flow-ceremony" });
  const token = h("div", { id: "flow-token" });
  const countdown = h("p", { id: "token-countdown", class: "muted" });
  const history = h("ol", { id: "token-history", class: "list history" });
  const callResult = h("p", { id: "call-ten-result", class: "muted" });

  const renderCeremony = () => {
    const { ceremony: name, steps } = ctx.flow;
    ceremony.replaceChildren(
      h("h3", {}, name ?? "No ceremony in this tab yet"),
      ...steps.map((step) => h("details", {}, h("summary", {}, `${new Date(step.at).toLocaleTimeString()} · ${step.title}`), json(step.data))),
    );
  };
  const renderToken = () => {
    const { accessToken } = ctx.auth.state;
    // The token itself is a bearer secret: show what it says, not the string.
    token.replaceChildren(
      ...(accessToken === null
        ? [h("p", { class: "muted" }, "No access token (signed out).")]
        : [h("h3", {}, "Header"), json(decodeProtectedHeader(accessToken)), h("h3", {}, "Claims"), json(decodeJwt(accessToken))]),
    );
  };
  const renderHistory = () => {
    history.replaceChildren(...ctx.flow.events.map((event) => h("li", {}, `${new Date(event.at).toLocaleTimeString()} · ${describe(event)}`)).reverse());
  };
  const tick = () => {
    const { expiresAt } = ctx.auth.state;
    countdown.textContent =
      expiresAt === null ? "" : `Expires in ${Math.max(0, Math.round((expiresAt - Date.now()) / 1000))} s; renewed automatically before that.`;
  };

  const callTen = async () => {
    callResult.textContent = "Calling…";
    const started = ctx.flow.events.filter((e) => e.type === "refreshed").length;
    const results = await Promise.allSettled(Array.from({ length: PARALLEL_CALLS }, () => ctx.auth.api(ROUTES.me)));
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const refreshes = ctx.flow.events.filter((e) => e.type === "refreshed").length - started;
    callResult.textContent = `${ok} of ${PARALLEL_CALLS} calls succeeded with ${refreshes} refresh${refreshes === 1 ? "" : "es"}.`;
  };

  renderCeremony();
  renderToken();
  renderHistory();
  tick();
  const unsubscribe = [
    ctx.flow.subscribe(() => {
      renderCeremony();
      renderHistory();
    }),
    ctx.auth.subscribe(() => {
      renderToken();
      tick();
    }),
  ];
  const timer = setInterval(tick, TICK_MS);

  return {
    element: h(
      "div",
      { class: "inspector" },
      h("h2", {}, "Last passkey ceremony"),
      ceremony,
      h("h2", {}, "Current access token"),
      countdown,
      token,
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "button", class: "secondary small", id: "refresh-now", onclick: () => void ctx.auth.refresh("manual").catch(() => undefined) },
          "Refresh now",
        ),
        h(
          "button",
          { type: "button", class: "secondary small", id: "call-ten", onclick: () => void callTen() },
          `Call ${ROUTES.me} ×${PARALLEL_CALLS} at once`,
        ),
      ),
      callResult,
      h("h2", {}, "Token history in this tab"),
      history,
    ),
    dispose() {
      clearInterval(timer);
      for (const stop of unsubscribe) stop();
    },
  };
}

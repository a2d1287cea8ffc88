// Every request gets an id (X-Request-Id, kept from the client when it is a sane token), one
// JSON log line (id, method, route pattern, status, latency, client IP) and its metrics.
import { randomUUID } from "node:crypto";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { type AppEnv, nodeBindings } from "../app-env.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { presetHeaders } from "./response-headers.ts";

const REQUEST_ID = /^[\w.:-]{1,64}$/;

export function observeRequests(deps: { log: Logger; metrics: Metrics }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    presetHeaders(c, [["X-Request-Id", requestId]]);
    await next();
    const ms = performance.now() - started;
    const route = routeLabel(c);
    // An answer a handler wrote straight to Node's response (the OpenID Provider's) has its status
    // there; any other is written after this.
    const written = nodeBindings(c).outgoing;
    const status = written?.headersSent ? written.statusCode : c.res.status;
    deps.metrics.observeRequest({ method: c.req.method, route, status }, ms / 1000);
    deps.log({
      level: status >= 500 ? "error" : "info",
      msg: "request",
      requestId,
      method: c.req.method,
      route,
      status,
      ms: Math.round(ms * 100) / 100,
      ip: c.get("requestContext")?.ip ?? null,
    });
  });
}

/** The pattern of the route that answered ("/api/passkeys/:id"), never the raw path: bounded label values. */
function routeLabel(c: Context<AppEnv>): string {
  // A handler that answers many paths itself (the OpenID Provider) names the one it answered.
  const named = c.get("routeLabel");
  if (named !== undefined) return named;
  // The route that answered (routeIndex: the handler running when the answer was made), or, when
  // a middleware answered (a 401 from requireUser), the route the request was headed for. Never a
  // catch-all matched after it (the web app's assets): that would label every API GET "/*".
  const handler = matchedRoutes(c)
    .slice(c.req.routeIndex)
    .find((route) => route.method !== "ALL");
  return handler?.path ?? "unmatched";
}

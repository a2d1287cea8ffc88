// Hono's environment for this app: the request variables the middleware sets, and Node's request
// and response beneath it when Node serves the app.
import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";
import type { AccessClaims } from "./auth/access-tokens.ts";
import type { LiveSession } from "./auth/session-state.ts";
import type { RequestContext } from "./auth/deps.ts";

export interface AppEnv {
  Variables: {
    requestContext: RequestContext;
    /** Set by observeRequests(): this request's id, echoed in X-Request-Id and on every log line. */
    requestId: string;
    /** Set by a handler that answers many paths itself (the OpenID Provider): the route it answered, for logs and metrics. */
    routeLabel?: string;
    /** Set by requireUser(): the token's claims, with the role and last verification from storage. */
    auth: AccessClaims & LiveSession;
  };
}

/** Node's request and response under this Hono request: there when Node serves the app, not under app.request() (tests). */
export function nodeBindings(c: Context<AppEnv>): Partial<HttpBindings> {
  return (c.env as Partial<HttpBindings> | undefined) ?? {};
}

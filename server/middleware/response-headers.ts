// Headers every answer carries, in two sets. Pages (the web app, and anything else a browser may
// render) get the document set: a CSP without inline script, no framing, nosniff, no referrer and
// the rest of the usual hardening set. API answers (/auth/*, /api/*: JSON that no browser renders
// as a page) get the set OWASP's REST Security Cheat Sheet gives for APIs: no-store (tokens and
// account data must never sit in a cache, RFC 6749 §5.1), a CSP that allows nothing and no framing,
// nosniff, HSTS, no referrer, and CORP so that no other site can load them, even without CORS. The
// document-only headers (COOP, Origin-Agent-Cluster, DNS prefetch, IE's download and XSS filters,
// Flash's policy files) do nothing on a JSON answer but cost every API call their bytes.
// They are set before the handler runs (presetHeaders), and a handler's own header of the same name
// wins.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type AppEnv, nodeBindings } from "../app-env.ts";

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

type HeaderList = readonly (readonly [string, string])[];

const STRICT_TRANSPORT_SECURITY = "max-age=15552000; includeSubDomains";

/** For pages and anything else a browser may render. */
export const SECURITY_HEADERS: HeaderList = [
  ["Content-Security-Policy", CONTENT_SECURITY_POLICY],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", STRICT_TRANSPORT_SECURITY],
  ["X-Content-Type-Options", "nosniff"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "DENY"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

/** For API answers: JSON for scripts, never a page. */
export const API_HEADERS: HeaderList = [
  ["Cache-Control", "no-store"],
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", STRICT_TRANSPORT_SECURITY],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
];

/** Path prefixes of the API: their answers get API_HEADERS, everything else SECURITY_HEADERS. */
export const API_PREFIXES = ["/auth/", "/api/"] as const;

const isApiPath = (path: string) => API_PREFIXES.some((prefix) => path.startsWith(prefix));

/** Sets the answer's header set (handlers may override one), chosen by its path. */
export function securityHeaders() {
  return createMiddleware<AppEnv>(async (c, next) => {
    presetHeaders(c, isApiPath(c.req.path) ? API_HEADERS : SECURITY_HEADERS);
    await next();
  });
}

/**
 * Sets headers before the answer is built; a header of the same name the answer sets wins.
 *
 * Served by Node, it goes on Node's response (c.env.outgoing), and the adapter merges the answer's
 * headers into it as it writes them (ServerResponse.writeHead). Through c.header() instead, every
 * answer would get a fetch Headers object: filling one with the API set costs ~10 µs, and it keeps
 * the adapter off its plain-object path. Together that was ~20 µs of a ~270 µs cached-token API
 * call. Anywhere else (app.request() in tests), it goes through c.header(), and
 * tests/http/protocol.test.ts checks that both ways send the same headers.
 */
export function presetHeaders(c: Context<AppEnv>, headers: HeaderList): void {
  const { outgoing } = nodeBindings(c);
  for (const [name, value] of headers) {
    if (outgoing) outgoing.setHeader(name, value);
    else c.header(name, value);
  }
}

/**
 * Adds a header that may repeat (Set-Cookie), the way presetHeaders sets the others. An answer that
 * set the same name itself would replace these, so a repeating header goes through here alone.
 */
export function appendHeader(c: Context<AppEnv>, name: string, value: string): void {
  const { outgoing } = nodeBindings(c);
  if (outgoing) outgoing.appendHeader(name, value);
  else c.header(name, value, { append: true });
}

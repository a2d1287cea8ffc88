// CSRF defence: refuse requests a browser marks as cross-site. On every state-changing /auth/*
// route: the cookie routes (SameSite=Strict keeps the cookie off cross-site requests; this is the
// second, independent check), and the ceremonies' verify routes, which set the cookie: a top-level
// cross-site POST may set a SameSite=Strict cookie, so a form on another site posting the
// attacker's own signed assertion would sign the victim's browser into the attacker's account
// (login CSRF).
import { createMiddleware } from "hono/factory";
import { AppError } from "../errors.ts";

/** Methods that change nothing: a cross-site GET of /auth/* is answered as any other. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function sameOriginOnly(allowedOrigins: readonly string[]) {
  return createMiddleware(async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const fetchSite = c.req.header("sec-fetch-site");
    // "none" is a user-typed navigation; a fetch from our own page is "same-origin".
    if (fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none") throw new AppError("csrf_rejected");
    const origin = c.req.header("origin");
    if (origin !== undefined && !allowedOrigins.includes(origin)) throw new AppError("csrf_rejected");
    await next();
  });
}

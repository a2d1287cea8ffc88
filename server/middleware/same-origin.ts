// CSRF defence for cookie-authenticated routes: refuse requests a browser marks as cross-site.
// SameSite=Strict already keeps the cookie off them; this is the second, independent check.
import { createMiddleware } from "hono/factory";
import { AppError } from "../errors.ts";

export function sameOriginOnly(allowedOrigins: readonly string[]) {
  return createMiddleware(async (c, next) => {
    const fetchSite = c.req.header("sec-fetch-site");
    // "none" is a user-typed navigation; a fetch from our own page is "same-origin".
    if (fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none") throw new AppError("csrf_rejected");
    const origin = c.req.header("origin");
    if (origin !== undefined && !allowedOrigins.includes(origin)) throw new AppError("csrf_rejected");
    await next();
  });
}

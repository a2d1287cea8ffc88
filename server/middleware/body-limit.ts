// Request bodies on the API: at most MAX_BODY_BYTES, and, where Node's HTTP/1.1 parser read the
// request, their size known from the headers so that a call without a body builds no fetch Request.
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type AppEnv, nodeBindings } from "../app-env.ts";
import { AppError } from "../errors.ts";

/** Larger than any WebAuthn response we accept (attestation objects are the biggest, ~32 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The body's exact size from the headers, or null when only reading it can tell. Behind Node's
 * HTTP/1.1 parser (c.env.incoming), Content-Length is the body's exact size, and without it or
 * chunking there is no body at all. Chunked bodies, and requests that did not come through Node's
 * parser (app.request() in tests), have to be read.
 */
export function declaredBodySize(c: Context<AppEnv>): number | null {
  const parsedByNode = nodeBindings(c).incoming !== undefined;
  if (!parsedByNode || c.req.header("transfer-encoding") !== undefined) return null;
  const length = c.req.header("content-length");
  return length === undefined ? 0 : Number(length);
}

/** Refuses a body over MAX_BODY_BYTES: from its declared size, or counted as it streams. */
export function limitBody(): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    // The rest of the body is never read: close the connection, or its bytes would be taken for
    // the next request on it.
    throw new AppError("body_too_large", { headers: { Connection: "close" } });
  };
  const countStreamedBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  return (c, next) => {
    const size = declaredBodySize(c);
    if (size === null) return countStreamedBody(c, next);
    if (size > MAX_BODY_BYTES) tooLarge();
    return next();
  };
}

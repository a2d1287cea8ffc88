// Records who is asking (client IP, user agent) for sessions and audit events.
import { getConnInfo } from "@hono/node-server/conninfo";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";

const MAX_USER_AGENT_LENGTH = 256;

export function requestContext() {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("requestContext", {
      ip: remoteAddress(c),
      userAgent: c.req.header("user-agent")?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
    });
    await next();
  });
}

function remoteAddress(c: Parameters<typeof getConnInfo>[0]): string | null {
  // app.request() in tests has no socket; X-Forwarded-For is not trusted (no proxy is configured).
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

// Records who is asking (client IP, user agent) for sessions, audit events and rate limits.
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";

const MAX_USER_AGENT_LENGTH = 256;
const MAX_IP_LENGTH = 64;

/**
 * `trustProxyHops` proxies stand in front of us (TRUST_PROXY_HOPS). Each appends the address it
 * received from to X-Forwarded-For, so the client is the entry that many places from the right;
 * anything further left was written by the client and is ignored. With 0, the header is never
 * read: a client could otherwise pick its own IP and dodge the rate limits.
 */
export function requestContext(trustProxyHops: number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("requestContext", {
      ip: clientAddress(c, trustProxyHops),
      userAgent: c.req.header("user-agent")?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
    });
    await next();
  });
}

function clientAddress(c: Context, trustProxyHops: number): string | null {
  if (trustProxyHops > 0) {
    const hops = (c.req.header("x-forwarded-for") ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    const client = hops[hops.length - trustProxyHops];
    if (client) return client.slice(0, MAX_IP_LENGTH);
  }
  // app.request() in tests has no socket.
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

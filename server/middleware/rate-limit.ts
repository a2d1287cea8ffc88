// Fixed-window rate limit per client IP: 429 rate_limited with Retry-After past the limit.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import type { Clock } from "../clock.ts";
import { AppError } from "../errors.ts";

const WINDOW_MS = 60_000;
/** Past this many tracked clients, windows that have ended are dropped. */
const MAX_TRACKED_CLIENTS = 10_000;

export function rateLimit(options: { limitPerMinute: number; clock: Clock }) {
  const windows = new Map<string, { startedAt: number; count: number }>();
  return createMiddleware<AppEnv>(async (c, next) => {
    if (options.limitPerMinute === 0) return next();
    const now = options.clock.now().getTime();
    const key = c.var.requestContext.ip ?? "unknown";
    let window = windows.get(key);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      if (windows.size >= MAX_TRACKED_CLIENTS) {
        for (const [client, w] of windows) if (now - w.startedAt >= WINDOW_MS) windows.delete(client);
        // Still full: forget the oldest window rather than grow without bound.
        if (windows.size >= MAX_TRACKED_CLIENTS) windows.delete(windows.keys().next().value!);
      }
      window = { startedAt: now, count: 0 };
      windows.set(key, window);
    }
    window.count += 1;
    if (window.count > options.limitPerMinute) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
      throw new AppError("rate_limited", { headers: { "Retry-After": String(retryAfterSeconds) } });
    }
    await next();
  });
}

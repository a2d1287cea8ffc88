// Fixed-window rate limits: per client IP on every /auth/* route, and per account on the
// ceremonies that name one (username). Past a limit: 429 rate_limited with Retry-After, and the
// RateLimit-Policy / RateLimit fields (draft-ietf-httpapi-ratelimit-headers) naming the limit
// that refused ("ip" or "account"), so a client can tell the two apart.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import type { Clock } from "../clock.ts";
import { AppError } from "../errors.ts";

const WINDOW_SECONDS = 60;
const WINDOW_MS = WINDOW_SECONDS * 1000;
/** Past this many tracked keys, windows that have ended are dropped. */
const MAX_TRACKED_KEYS = 10_000;

/** Counts hits per key in one-minute windows, in bounded memory. limitPerMinute 0 turns it off. */
export class RateLimiter {
  readonly #windows = new Map<string, { startedAt: number; count: number }>();
  readonly #policy: string;
  readonly #limitPerMinute: number;
  readonly #clock: Clock;

  /** `policy` names the limit in the RateLimit fields of its 429s. */
  constructor(policy: string, limitPerMinute: number, clock: Clock) {
    this.#policy = policy;
    this.#limitPerMinute = limitPerMinute;
    this.#clock = clock;
  }

  /** Counts one hit for `key`; throws 429 rate_limited (with Retry-After) past the limit. */
  hit(key: string, message?: string): void {
    if (this.#limitPerMinute === 0) return;
    const now = this.#clock.now().getTime();
    let window = this.#windows.get(key);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      if (this.#windows.size >= MAX_TRACKED_KEYS) this.#evict(now);
      window = { startedAt: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    if (window.count > this.#limitPerMinute) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
      const headers = {
        "Retry-After": String(retryAfterSeconds),
        "RateLimit-Policy": `"${this.#policy}";q=${this.#limitPerMinute};w=${WINDOW_SECONDS}`,
        RateLimit: `"${this.#policy}";r=0;t=${retryAfterSeconds}`,
      };
      throw new AppError("rate_limited", { message, headers });
    }
  }

  #evict(now: number): void {
    for (const [key, window] of this.#windows) if (now - window.startedAt >= WINDOW_MS) this.#windows.delete(key);
    // Still full: forget the oldest window rather than grow without bound.
    if (this.#windows.size >= MAX_TRACKED_KEYS) this.#windows.delete(this.#windows.keys().next().value!);
  }
}

export interface RateLimits {
  /** Per client IP (as resolved by requestContext, so through trusted proxies only). */
  ip: RateLimiter;
  /** Per account name, whatever IPs the attempts come from; unknown names count like known ones. */
  account: RateLimiter;
}

export function createRateLimits(config: { rateLimitPerMinute: number; rateLimitPerAccountPerMinute: number }, clock: Clock): RateLimits {
  return {
    ip: new RateLimiter("ip", config.rateLimitPerMinute, clock),
    account: new RateLimiter("account", config.rateLimitPerAccountPerMinute, clock),
  };
}

export function rateLimitByIp(limiter: RateLimiter) {
  return createMiddleware<AppEnv>(async (c, next) => {
    limiter.hit(c.var.requestContext.ip ?? "unknown");
    await next();
  });
}

/** Counts an attempt on the account `username` names (already normalised). */
export function limitAccount(limits: RateLimits, username: string): void {
  limits.account.hit(username, "Too many attempts for this account. Try again in a minute.");
}

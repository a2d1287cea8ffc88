// Fixed-window rate limits: per client IP on every /auth/* route, and per account on the
// ceremonies that name one (username), counted in the store so they hold across instances. Past
// a limit: 429 rate_limited with Retry-After, and the RateLimit-Policy / RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers) naming the limit that refused ("ip", "account" or
// "recovery"), so a client can tell them apart.
import { isIPv4, isIPv6 } from "node:net";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../errors.ts";

const WINDOW_SECONDS = 60;
const WINDOW_MS = WINDOW_SECONDS * 1000;

/** Counts hits per key in one-minute windows kept by the store (shared by every instance). limitPerMinute 0 turns it off. */
export class RateLimiter {
  readonly #policy: string;
  readonly #limitPerMinute: number;
  readonly #deps: Pick<AuthDeps, "store" | "clock">;

  /** `policy` names the limit in the RateLimit fields of its 429s, and its keys in the store. */
  constructor(policy: string, limitPerMinute: number, deps: Pick<AuthDeps, "store" | "clock">) {
    this.#policy = policy;
    this.#limitPerMinute = limitPerMinute;
    this.#deps = deps;
  }

  /** Counts one hit for `key`; throws 429 rate_limited (with Retry-After) past the limit. */
  async hit(key: string, message?: string): Promise<void> {
    if (this.#limitPerMinute === 0) return;
    const now = this.#deps.clock.now().getTime();
    const window = await this.#deps.store.rateLimits.hit({ key: `${this.#policy}:${key}`, now, windowMs: WINDOW_MS });
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
}

export interface RateLimits {
  /** Per client IP (as resolved by requestContext, so through trusted proxies only); IPv6 per /64. */
  ip: RateLimiter;
  /** Per account name, whatever IPs the attempts come from; unknown names count like known ones. */
  account: RateLimiter;
  /**
   * Per account name for recovery alone: naming a person in sign-in or sign-up attempts must not
   * use up their way back in.
   */
  recovery: RateLimiter;
}

export function createRateLimits(
  config: { rateLimitPerMinute: number; rateLimitPerAccountPerMinute: number },
  deps: Pick<AuthDeps, "store" | "clock">,
): RateLimits {
  return {
    ip: new RateLimiter("ip", config.rateLimitPerMinute, deps),
    account: new RateLimiter("account", config.rateLimitPerAccountPerMinute, deps),
    recovery: new RateLimiter("recovery", config.rateLimitPerAccountPerMinute, deps),
  };
}

export function rateLimitByIp(limiter: RateLimiter) {
  return createMiddleware<AppEnv>(async (c, next) => {
    await limiter.hit(addressBlock(c.get("requestContext").ip));
    await next();
  });
}

/** Counts an attempt on the account `username` names (already normalised). */
export async function limitAccount(limits: RateLimits, username: string): Promise<void> {
  await limits.account.hit(username, "Too many attempts for this account. Try again in a minute.");
}

/** Counts a recovery attempt on the account `username` names, in recovery's own windows. */
export async function limitRecovery(limits: RateLimits, username: string): Promise<void> {
  await limits.recovery.hit(username, "Too many recovery attempts for this account. Try again in a minute.");
}

/**
 * The block one client is counted by: an IPv4 address, or the /64 of an IPv6 one (RFC 6177: one
 * subscriber gets at least a /64, so counting single addresses would give one client 2^64 windows).
 */
export function addressBlock(ip: string | null): string {
  if (ip === null) return "unknown";
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

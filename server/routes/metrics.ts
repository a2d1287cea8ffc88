// GET /metrics: Prometheus text format. With METRICS_TOKEN set it needs that token as a bearer
// (compared in constant time); without one it answers only on a local-only listener (HOST
// localhost, 127.0.0.1 or ::1), and is not found on any other: counts of sign-ins, failures and
// sessions are nobody's business on the public internet.
import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { Config } from "../config.ts";
import { AppError } from "../errors.ts";
import type { Metrics } from "../metrics.ts";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1"]);

export function metricsRoutes(config: Pick<Config, "metricsToken" | "host">, metrics: Metrics) {
  const open = config.metricsToken === undefined && LOCAL_HOSTS.has(config.host);
  return new Hono<AppEnv>().get(ROUTES.metrics, async (c) => {
    if (config.metricsToken === undefined && !open) {
      throw new AppError("not_found", { message: "Set METRICS_TOKEN to scrape /metrics on a listener reachable beyond this machine." });
    }
    if (config.metricsToken !== undefined && !bearerMatches(c.req.header("authorization"), config.metricsToken)) {
      throw new AppError("token_invalid", {
        message: "GET /metrics needs the METRICS_TOKEN as a bearer token.",
        headers: { "WWW-Authenticate": 'Bearer realm="metrics"' },
      });
    }
    c.header("Cache-Control", "no-store");
    return c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType });
  });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

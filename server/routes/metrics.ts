// GET /metrics: Prometheus text format. Open unless METRICS_TOKEN is set; then it needs that
// token as a bearer (compared in constant time). Keep it off the public internet either way.
import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { Config } from "../config.ts";
import { AppError } from "../errors.ts";
import type { Metrics } from "../metrics.ts";

export function metricsRoutes(config: Pick<Config, "metricsToken">, metrics: Metrics) {
  return new Hono<AppEnv>().get(ROUTES.metrics, async (c) => {
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

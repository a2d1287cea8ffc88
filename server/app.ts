// createApp(deps): middleware order, routes, and the one error handler. No side effects.
import { Hono } from "hono";
import { ROUTES } from "../shared/routes.ts";
import type { AppEnv } from "./app-env.ts";
import { createAccessTokenVerifier } from "./auth/access-tokens.ts";
import type { AuthDeps } from "./auth/deps.ts";
import { AppError } from "./errors.ts";
import { errorFields, jsonLogger, type Logger } from "./logger.ts";
import { createMetrics, withAuditMetrics } from "./metrics.ts";
import { limitBody } from "./middleware/body-limit.ts";
import { observeRequests } from "./middleware/observe.ts";
import { API_PREFIXES, securityHeaders } from "./middleware/response-headers.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { createRateLimits, rateLimitByIp } from "./middleware/rate-limit.ts";
import { sameOriginOnly } from "./middleware/same-origin.ts";
import { requestContext } from "./middleware/request-context.ts";
import { accountRoutes } from "./routes/account.ts";
import { adminRoutes } from "./routes/admin.ts";
import { passkeyRoutes } from "./routes/passkeys.ts";
import { recoveryRoutes } from "./routes/recovery.ts";
import { stepUpRoutes } from "./routes/step-up.ts";
import { mySessionsRoutes } from "./routes/my-sessions.ts";
import { passkeyLoginRoutes } from "./routes/login.ts";
import { registrationRoutes } from "./routes/registration.ts";
import { sessionLifecycleRoutes } from "./routes/session-lifecycle.ts";
import { webAppRoutes } from "./routes/web-app.ts";
import { wellKnownRoutes } from "./routes/well-known.ts";
import { oidcRoutes } from "./routes/oidc.ts";
import { createOidcProvider } from "./oidc/provider.ts";

export interface AppDeps extends Omit<AuthDeps, "accessTokens" | "countUnattributedRefusal"> {
  /** Folder of the built web app; omitted, only the API is served. */
  webRoot?: string;
  /** Where log lines go (defaults to JSON lines on stdout at LOG_LEVEL). */
  log?: Logger;
  /** Also export the process's own metrics (CPU, memory, event loop) on /metrics; main.ts turns it on. */
  processMetrics?: boolean;
}

/** Known routes as patterns, so a wrong method on one answers 405 rather than 404. */
const API_ROUTE_PATTERNS = Object.values(ROUTES).map((route) => new RegExp(`^${route.replace(/:\w+/g, "[^/]+")}$`));
const isKnownRoute = (path: string) => API_ROUTE_PATTERNS.some((pattern) => pattern.test(path));

export function createApp(appDeps: AppDeps) {
  const log = appDeps.log ?? jsonLogger(appDeps.config.logLevel);
  const metrics = createMetrics({ store: appDeps.store, now: () => appDeps.clock.now().getTime(), processMetrics: appDeps.processMetrics });
  const deps = {
    ...appDeps,
    store: withAuditMetrics(appDeps.store, metrics),
    accessTokens: createAccessTokenVerifier(appDeps),
    countUnattributedRefusal: metrics.countUnattributedRefusal,
    rateLimits: createRateLimits(appDeps.config, appDeps),
  };
  const app = new Hono<AppEnv>();

  app.use(observeRequests({ log, metrics }));
  app.use(requestContext(deps.config.trustProxyHops));
  // API answers get no-store among their own set: tokens and account data never sit in a cache.
  app.use(securityHeaders());
  for (const prefix of API_PREFIXES.map((path) => `${path}*`)) app.use(prefix, limitBody());
  // Cross-site attempts are refused before they cost a rate-limit count.
  app.use("/auth/*", sameOriginOnly(deps.config.origins));
  app.use("/auth/*", rateLimitByIp(deps.rateLimits.ip));

  app.route("/", registrationRoutes(deps));
  app.route("/", passkeyLoginRoutes(deps));
  app.route("/", sessionLifecycleRoutes(deps));
  app.route("/", stepUpRoutes(deps));
  app.route("/", recoveryRoutes(deps));
  app.route("/", passkeyRoutes(deps));
  app.route("/", accountRoutes(deps));
  app.route("/", mySessionsRoutes(deps));
  app.route("/", adminRoutes(deps));
  app.route("/", oidcRoutes(deps, createOidcProvider({ ...deps, log })));
  app.route("/", wellKnownRoutes(deps));
  app.route("/", metricsRoutes(deps.config, metrics));
  app.route("/", openApiRoutes(deps.config));
  app.route("/", webAppRoutes(deps.webRoot));

  app.notFound((c) => {
    const error = new AppError(isKnownRoute(c.req.path) ? "method_not_allowed" : "not_found");
    return c.json(error.toBody(), error.status);
  });
  app.onError((error, c) => {
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json(error.toBody(), error.status);
    }
    log({ level: "error", msg: "unhandled error", requestId: c.get("requestId"), method: c.req.method, route: c.req.path, ...errorFields(error) });
    const internal = new AppError("internal");
    return c.json(internal.toBody(), internal.status);
  });
  return app;
}

// The only file with side effects: loadConfig → open db → load keys → createApp → serve, and a
// graceful stop on SIGTERM/SIGINT (finish in-flight requests, then close the database).
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createApp } from "./app.ts";
import { loadServerKeys } from "./auth/signing-keys.ts";
import { systemClock } from "./clock.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { openStore } from "./db/open-store.ts";
import { resolveKeyEncryptionSecret } from "./dev-secret.ts";
import { errorFields, jsonLogger } from "./logger.ts";
import { schedulePurge } from "./maintenance.ts";
import { WEB_ROOT } from "./paths.ts";

/** In-flight requests get this long to finish after SIGTERM; then the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** While stopping, connections that finished their request are closed this often. */
const IDLE_SWEEP_MS = 100;

async function main() {
  let config = configOrExit(process.env);
  // Listening comes first so that PORT=0 can take any free port and the defaults that name the
  // port (ORIGIN, and so the issuer and RP ID) name the one bound. Until the app is built,
  // requests get 503 and nobody has been told the port yet: "listening" is logged last.
  let handle: (request: Request, env: unknown) => Response | Promise<Response> = () => new Response("starting", { status: 503 });
  const server = createAdaptorServer({ fetch: (request, env) => handle(request, env) });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const boundPort = (server.address() as AddressInfo).port;
  if (config.port === 0) config = configOrExit({ ...process.env, PORT: String(boundPort) });

  const log = jsonLogger(config.logLevel);
  for (const warning of config.warnings) log({ level: "warn", msg: warning });
  const database = await openStore(config, {
    backgroundWork: { onError: (message) => log({ level: "error", msg: "database background work failed", error: message }) },
  });
  const { store } = database;
  const keys = await loadServerKeys({
    store,
    clock: systemClock,
    keyEncryptionSecret: resolveKeyEncryptionSecret(config),
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    rotationIntervalSeconds: config.signingKeyRotationIntervalSeconds,
  });
  // Picks up rotations by other instances or `npm run keys:rotate`, and rotates when the key is due.
  const keyRefresh = setInterval(() => {
    keys.refresh().catch((error: unknown) => log({ level: "error", msg: "signing key refresh failed", ...errorFields(error) }));
  }, config.signingKeyReloadIntervalSeconds * 1000);
  keyRefresh.unref();
  const stopPurge = schedulePurge({ store, clock: systemClock, config, log });

  const app = createApp({ config, store, clock: systemClock, keys, webRoot: WEB_ROOT, log, processMetrics: true });
  handle = app.fetch;
  log({ level: "info", msg: "listening", url: `http://${config.host}:${boundPort}`, origins: config.origins, kid: keys.current.kid });
  if ((await store.users.countActiveAdmins()) === 0) {
    log({
      level: "info",
      msg: "no admin yet: sign up, then run `npm run admin -- grant <username>` where this server runs (nobody becomes one by registering)",
    });
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ level: "info", msg: "stopping: finishing in-flight requests", signal });
    clearInterval(keyRefresh);
    stopPurge();
    const deadline = setTimeout(() => {
      log({ level: "warn", msg: "requests still running at the shutdown deadline; exiting", timeoutMs: SHUTDOWN_TIMEOUT_MS });
      void database.close().finally(() => process.exit(1));
    }, SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    // Stops accepting connections and closes idle keep-alive ones; a connection in the middle of
    // a request is left to finish it, then closed by the sweep. Calls back once none is left.
    const sweep = setInterval(() => {
      if ("closeIdleConnections" in server) server.closeIdleConnections();
    }, IDLE_SWEEP_MS);
    server.close(async () => {
      clearTimeout(deadline);
      clearInterval(sweep);
      await database.close();
      log({ level: "info", msg: "stopped", signal });
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

/** The configuration, or a plain-text message for the person starting the server and exit 1. */
function configOrExit(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

await main();

// The only file with side effects: loadConfig → open db → load keys → createApp → serve.
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createApp } from "./app.ts";
import { loadServerKeys } from "./auth/signing-keys.ts";
import { systemClock } from "./clock.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { openDatabase } from "./db/client.ts";
import { createSqliteStore } from "./db/sqlite-store.ts";
import { resolveKeyEncryptionSecret } from "./dev-secret.ts";

const KEY_REFRESH_INTERVAL_MS = 60_000;
const WEB_ROOT = fileURLToPath(new URL("../dist/web", import.meta.url));

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const database = openDatabase(config.databasePath);
  const store = createSqliteStore(database.db);
  const keys = await loadServerKeys({
    store,
    clock: systemClock,
    keyEncryptionSecret: resolveKeyEncryptionSecret(config),
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    rotationIntervalSeconds: config.signingKeyRotationIntervalSeconds,
  });
  // Picks up rotations by other instances or `npm run keys:rotate`, and rotates when the key is due.
  const keyRefresh = setInterval(() => {
    keys.refresh().catch((error: unknown) => console.error("Signing key refresh failed", error));
  }, KEY_REFRESH_INTERVAL_MS);
  keyRefresh.unref();
  const app = createApp({ config, store, clock: systemClock, keys, webRoot: WEB_ROOT });
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    console.log(`Passkey sign-in listening on http://${config.host}:${info.port} (origin ${config.origins.join(", ")})`);
  });
  const shutdown = () => {
    clearInterval(keyRefresh);
    server.close(() => {
      database.close();
      process.exit(0);
    });
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

await main();

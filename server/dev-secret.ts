// KEY_ENCRYPTION_SECRET for development: generated once and kept beside the database, mode 0600.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "./config.ts";

const DEV_SECRET_FILE = "key-encryption-secret";

export function resolveKeyEncryptionSecret(config: Config): string {
  if (config.keyEncryptionSecret !== undefined) return config.keyEncryptionSecret;
  // An in-memory database keeps no keys, so its secret need not outlive the process.
  // (config.ts requires the secret with PostgreSQL: instances cannot share a file.)
  if (config.database.engine !== "sqlite" || config.database.path === ":memory:") return randomBytes(48).toString("base64url");
  const path = join(dirname(config.database.path), DEV_SECRET_FILE);
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dirname(path), { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  return secret;
}

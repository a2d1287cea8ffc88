// loadConfig(env): the only reader of process.env. Validates every variable of DESIGN.md's
// table, reports every problem at once with how to fix it, and returns a frozen Config.

import { DEFAULT_CHALLENGE_TTL_SECONDS } from "../shared/limits.ts";
import { LOG_LEVELS, type LogLevel } from "./logger.ts";

export interface Config {
  port: number;
  host: string;
  /** Allowed web origins; the first one is the token issuer. */
  origins: readonly string[];
  issuer: string;
  /** The audience of tokens for this platform's own API (`${issuer}/api`): the only one it accepts. */
  apiAudience: string;
  /** Downstream services (RFC 8707 resource indicators) a refresh may ask a token for (RESOURCES). */
  resources: readonly string[];
  rpId: string;
  rpName: string;
  database: DatabaseConfig;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  sessionMaxAgeSeconds: number;
  maxSessionsPerUser: number;
  /** How long a ceremony's challenge stays valid (also the options' timeout). */
  challengeTtlSeconds: number;
  rateLimitPerMinute: number;
  rateLimitPerAccountPerMinute: number;
  /** Proxies in front of us whose X-Forwarded-For entries are trusted; 0 trusts none (the socket address counts). */
  trustProxyHops: number;
  /** Age at which the signing key is retired and a new one made; 0 never rotates by itself. */
  signingKeyRotationIntervalSeconds: number;
  /** How often an instance reads the keys again: rotations by other instances or `npm run keys:rotate` reach it within this. */
  signingKeyReloadIntervalSeconds: number;
  /** Absent in development: main.ts then keeps a generated one in the data folder. */
  keyEncryptionSecret: string | undefined;
  production: boolean;
  logLevel: LogLevel | "silent";
  /** When set, GET /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
  /** Audit events older than this many days are purged; 0 keeps them forever. */
  auditRetentionDays: number;
  /** Settings that are set but no longer read, with what to do instead: logged at start. */
  warnings: readonly string[];
}

/** SQLite in a file (or in memory), or PostgreSQL shared by every instance. */
export type DatabaseConfig = { engine: "sqlite" /** ":memory:" or a file path. */; path: string } | { engine: "postgres"; url: string };

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export const MIN_KEY_ENCRYPTION_SECRET_LENGTH = 32;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name}="${raw}" must be a whole number from ${min} to ${max}; unset it to use ${fallback}.`);
      return fallback;
    }
    return value;
  };

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name}="${raw}" must be one of ${allowed.join(", ")}; unset it to use ${fallback}.`);
    return fallback;
  };

  // 0: any free port; the "listening" log line says which (main.ts then loads the config again with it).
  const port = integer("PORT", 3000, 0, 65535);
  const host = read("HOST") ?? "localhost";
  const origins = parseOrigins(read("ORIGIN") ?? `http://localhost:${port}`, problems);
  const firstOrigin = origins[0] ?? `http://localhost:${port}`;
  const rpId = (read("RP_ID") ?? new URL(firstOrigin).hostname).toLowerCase();
  for (const origin of origins) {
    const hostname = new URL(origin).hostname;
    // WebAuthn §5.1.3: the RP ID must be the origin's effective domain or a registrable suffix of it.
    if (hostname !== rpId && !hostname.endsWith(`.${rpId}`)) {
      problems.push(`RP_ID="${rpId}" is not ${hostname} nor a parent domain of it (ORIGIN ${origin}); set RP_ID to ${hostname}.`);
    }
  }

  const production = read("NODE_ENV") === "production";
  const database = parseDatabaseUrl(read("DATABASE_URL") ?? "file:./data/auth.db", problems);
  const keyEncryptionSecret = read("KEY_ENCRYPTION_SECRET");
  if (keyEncryptionSecret !== undefined && keyEncryptionSecret.length < MIN_KEY_ENCRYPTION_SECRET_LENGTH) {
    problems.push(`KEY_ENCRYPTION_SECRET must be at least ${MIN_KEY_ENCRYPTION_SECRET_LENGTH} characters; make one with: openssl rand -base64 48`);
  }
  if (keyEncryptionSecret === undefined && production) {
    problems.push("KEY_ENCRYPTION_SECRET is required when NODE_ENV=production; make one with: openssl rand -base64 48");
  } else if (keyEncryptionSecret === undefined && origins.some((origin) => new URL(origin).hostname !== "localhost")) {
    // A deployment people reach: the secret must not be written next to the database it protects.
    problems.push(
      "KEY_ENCRYPTION_SECRET is required when an ORIGIN is not localhost (a deployment people reach): a generated one would be kept next to the database it protects; make one with: openssl rand -base64 48",
    );
  } else if (keyEncryptionSecret === undefined && database.engine === "postgres") {
    problems.push(
      "KEY_ENCRYPTION_SECRET is required with PostgreSQL: every instance must decrypt the same signing keys, so the secret cannot be made and kept by one of them; give all instances the same one, made with: openssl rand -base64 48",
    );
  }

  const accessTokenTtlSeconds = integer("ACCESS_TOKEN_TTL", 600, 1, 86_400);
  const refreshTokenTtlSeconds = integer("REFRESH_TOKEN_TTL", 1_209_600, 60);
  const sessionMaxAgeSeconds = integer("SESSION_MAX_AGE", 2_592_000, 60);
  const config: Config = {
    port,
    host,
    origins,
    issuer: firstOrigin,
    apiAudience: `${firstOrigin}/api`,
    resources: parseResources(read("RESOURCES") ?? "", problems),
    rpId,
    rpName: read("RP_NAME") ?? "Passkey Sign-in",
    database,
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds,
    sessionMaxAgeSeconds,
    maxSessionsPerUser: integer("MAX_SESSIONS_PER_USER", 10, 1, 1000),
    challengeTtlSeconds: integer("CHALLENGE_TTL", DEFAULT_CHALLENGE_TTL_SECONDS, 1, 3600),
    rateLimitPerMinute: integer("RATE_LIMIT_PER_MINUTE", 60, 0),
    rateLimitPerAccountPerMinute: integer("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", 10, 0),
    trustProxyHops: integer("TRUST_PROXY_HOPS", 0, 0, 10),
    signingKeyRotationIntervalSeconds: integer("SIGNING_KEY_ROTATION_INTERVAL", 2_592_000, 0),
    signingKeyReloadIntervalSeconds: integer("SIGNING_KEY_RELOAD_INTERVAL", 60, 1, 3600),
    keyEncryptionSecret,
    production,
    logLevel: oneOf("LOG_LEVEL", LOG_LEVELS, "info"),
    metricsToken: read("METRICS_TOKEN"),
    auditRetentionDays: integer("AUDIT_RETENTION_DAYS", 365, 0, 36_500),
    warnings:
      // Read only to warn: it is no longer a setting.
      !env.ADMIN_USERNAMES?.trim()
        ? []
        : [
            "ADMIN_USERNAMES is no longer read: it made whoever registered a listed name first an admin. Existing admins keep their role; grant it with: npm run admin -- grant <username>",
          ],
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** The non-empty entries of a comma-separated setting, trimmed. */
const commaList = (raw: string) =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** WebAuthn and cookies need a secure context: https, or http only on localhost. */
const isSecureOrLocal = (url: URL) => url.protocol === "https:" || (url.protocol === "http:" && url.hostname === "localhost");

/**
 * RESOURCES: the downstream services tokens may be asked for, each an absolute URI without a
 * fragment (RFC 8707 §2), https or http on localhost, compared exactly as written.
 */
function parseResources(raw: string, problems: string[]): string[] {
  const resources: string[] = [];
  for (const entry of commaList(raw)) {
    const url = URL.canParse(entry) && !entry.includes("#") ? new URL(entry) : null;
    if (url === null) {
      problems.push(`RESOURCES entry "${entry}" must be an absolute URI without a fragment, like https://api.example.com`);
    } else if (!isSecureOrLocal(url)) {
      problems.push(`RESOURCES entry "${entry}" must use https (http is allowed only for localhost)`);
    } else {
      resources.push(entry);
    }
  }
  return resources;
}

function parseOrigins(raw: string, problems: string[]): string[] {
  const origins: string[] = [];
  for (const entry of commaList(raw)) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      problems.push(`ORIGIN entry "${entry}" is not a URL; write it like https://auth.example.com`);
      continue;
    }
    if (url.origin !== entry.replace(/\/$/, "")) {
      problems.push(`ORIGIN entry "${entry}" must be a bare origin (scheme://host[:port]) with no path; use ${url.origin}`);
      continue;
    }
    // WebAuthn needs a secure context: https, or http only on localhost.
    if (!isSecureOrLocal(url)) {
      problems.push(`ORIGIN entry "${entry}" must use https (http is allowed only for localhost)`);
      continue;
    }
    origins.push(url.origin);
  }
  if (origins.length === 0 && problems.length === 0) problems.push("ORIGIN must name at least one origin");
  return origins;
}

function parseDatabaseUrl(raw: string, problems: string[]): DatabaseConfig {
  if (raw === ":memory:" || raw === "file::memory:") return { engine: "sqlite", path: ":memory:" };
  if (raw.startsWith("file:") && raw.length > "file:".length) return { engine: "sqlite", path: raw.slice("file:".length) };
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
      return { engine: "postgres", url: raw };
    } catch {
      // Never echo it: the URL may hold a password.
      problems.push("DATABASE_URL starts with postgres:// but is not a valid URL; write it like postgres://user:password@host:5432/auth");
      return { engine: "sqlite", path: ":memory:" };
    }
  }
  problems.push('DATABASE_URL must be "file:<path>" (e.g. file:./data/auth.db), ":memory:", or postgres://user:password@host:5432/database');
  return { engine: "sqlite", path: ":memory:" };
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.ts";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: "localhost",
      origins: ["http://localhost:3000"],
      issuer: "http://localhost:3000",
      rpId: "localhost",
      database: { engine: "sqlite", path: "./data/auth.db" },
      accessTokenTtlSeconds: 600,
      refreshTokenTtlSeconds: 1_209_600,
      sessionMaxAgeSeconds: 2_592_000,
      maxSessionsPerUser: 10,
      rateLimitPerMinute: 60,
      warnings: [],
      keyEncryptionSecret: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("derives the origin from PORT and the RP ID from the first origin", () => {
    expect(loadConfig({ PORT: "8080" }).origins).toEqual(["http://localhost:8080"]);
    const secret = { KEY_ENCRYPTION_SECRET: "s".repeat(40) };
    const config = loadConfig({ ...secret, ORIGIN: "https://auth.example.com,https://app.example.com", RP_ID: "example.com" });
    expect(config.origins).toEqual(["https://auth.example.com", "https://app.example.com"]);
    expect(config.rpId).toBe("example.com");
    expect(loadConfig({ ...secret, ORIGIN: "https://auth.example.com" }).rpId).toBe("auth.example.com");
  });

  it("gives the platform's API its own audience, and reads RESOURCES as absolute URIs without a fragment", () => {
    const config = loadConfig({ PORT: "3000", RESOURCES: " https://reports.example.com , http://localhost:4000 ,," });
    expect(config.apiAudience).toBe("http://localhost:3000/api");
    expect(config.resources).toEqual(["https://reports.example.com", "http://localhost:4000"]);
    for (const bad of ["reports", "https://reports.example.com#x", "http://reports.example.com"]) {
      expect(() => loadConfig({ RESOURCES: bad }), bad).toThrow(/RESOURCES entry/);
    }
  });

  it("no longer reads ADMIN_USERNAMES, and says so with what to do instead", () => {
    expect(loadConfig({ ADMIN_USERNAMES: "root" }).warnings).toEqual([expect.stringMatching(/ADMIN_USERNAMES is no longer read.*npm run admin -- grant/)]);
  });

  it.each([
    [{ PORT: "http" }, /PORT/],
    [{ PORT: "70000" }, /PORT/],
    [{ ACCESS_TOKEN_TTL: "-5" }, /ACCESS_TOKEN_TTL/],
    [{ ACCESS_TOKEN_TTL: "10m" }, /ACCESS_TOKEN_TTL/],
    [{ MAX_SESSIONS_PER_USER: "0" }, /MAX_SESSIONS_PER_USER/],
    [{ ORIGIN: "not a url" }, /ORIGIN/],
    [{ ORIGIN: "https://example.com/app" }, /bare origin/],
    [{ ORIGIN: "http://example.com" }, /https/],
    [{ ORIGIN: "https://auth.example.com", RP_ID: "other.com", KEY_ENCRYPTION_SECRET: "s".repeat(40) }, /RP_ID/],
    [{ ORIGIN: "https://auth.example.com" }, /KEY_ENCRYPTION_SECRET is required when an ORIGIN is not localhost/],
    [{ DATABASE_URL: "mysql://db/auth" }, /DATABASE_URL/],
    [{ DATABASE_URL: "postgres://db/auth" }, /KEY_ENCRYPTION_SECRET is required with PostgreSQL/],
    [{ KEY_ENCRYPTION_SECRET: "short" }, /at least 32/],
    [{ NODE_ENV: "production" }, /KEY_ENCRYPTION_SECRET is required/],
  ])("refuses %j with a message naming the variable", (env, message) => {
    const found = problems(env);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it("requires KEY_ENCRYPTION_SECRET when an ORIGIN is not localhost, so no secret is written beside the database it protects", () => {
    expect(problems({ ORIGIN: "https://auth.example.com" }).join("\n")).toMatch(/KEY_ENCRYPTION_SECRET is required when an ORIGIN is not localhost/);
    expect(problems({ ORIGIN: "http://localhost:3000,https://auth.example.com", RP_ID: "localhost" }).join("\n")).toMatch(/KEY_ENCRYPTION_SECRET/);
    expect(loadConfig({ ORIGIN: "http://localhost:4000" }).keyEncryptionSecret).toBeUndefined(); // local development keeps its generated one
  });

  it("reports every bad variable at once", () => {
    expect(problems({ PORT: "x", RATE_LIMIT_PER_MINUTE: "y", DATABASE_URL: "z" })).toHaveLength(3);
  });

  it("accepts :memory: and turns off rate limiting with 0", () => {
    const config = loadConfig({ DATABASE_URL: ":memory:", RATE_LIMIT_PER_MINUTE: "0" });
    expect(config.database).toEqual({ engine: "sqlite", path: ":memory:" });
    expect(config.rateLimitPerMinute).toBe(0);
  });

  it("selects PostgreSQL for postgres:// and postgresql:// URLs", () => {
    const secret = { KEY_ENCRYPTION_SECRET: "s".repeat(40) };
    expect(loadConfig({ ...secret, DATABASE_URL: "postgres://app:pw@db:5432/auth" }).database).toEqual({
      engine: "postgres",
      url: "postgres://app:pw@db:5432/auth",
    });
    expect(loadConfig({ ...secret, DATABASE_URL: "postgresql://db/auth" }).database.engine).toBe("postgres");
  });

  it("never repeats a database URL, which may hold a password, in its messages", () => {
    expect(problems({ DATABASE_URL: "postgres://app:hunter2@[bad/auth", KEY_ENCRYPTION_SECRET: "s".repeat(40) }).join("\n")).not.toContain("hunter2");
    expect(problems({ DATABASE_URL: "mysql://app:hunter2@db/auth" }).join("\n")).not.toContain("hunter2");
  });
});

describe(".env.example and the README", () => {
  const root = join(import.meta.dirname, "../..");
  const variables = [...readFileSync(join(root, "server/config.ts"), "utf8").matchAll(/(?:read|integer|oneOf)\("([A-Z_]+)"/g)].map((m) => m[1]!);

  it("documents every variable the server reads, and each documented default is the real one", () => {
    expect(variables.length).toBeGreaterThan(15);
    const example = readFileSync(join(root, ".env.example"), "utf8");
    expect(variables.filter((name) => !new RegExp(`^#? ?${name}=`, "m").test(example))).toEqual([]);
    // The uncommented lines are the defaults: loading them changes nothing.
    const set = Object.fromEntries([...example.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^"(.*)"$/, "$1")]));
    const { keyEncryptionSecret: _a, ...withExample } = loadConfig(set);
    const { keyEncryptionSecret: _b, ...withDefaults } = loadConfig({});
    expect(withExample).toEqual(withDefaults);
  });

  it("lists every variable in the README's configuration table", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(variables.filter((name) => name !== "NODE_ENV" && !readme.includes(`| \`${name}\` |`))).toEqual([]);
  });
});

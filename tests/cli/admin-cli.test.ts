// The command-line tools (npm run admin, npm run keys:*), run as real processes against a database file.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { openStore } from "../../server/db/open-store.ts";
import type { Store } from "../../server/db/store.ts";
import { createTestApp, TEST_KEY_ENCRYPTION_SECRET } from "../helpers/harness.ts";

const run = promisify(execFile);
let dir: string;
let databaseUrl: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "admin-cli-"));
  databaseUrl = `file:${join(dir, "auth.db")}`;
  const t = await createTestApp({ DATABASE_URL: databaseUrl });
  await t.browser().signUp("alice");
  await t.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const admin = (...args: string[]) => cli("scripts/admin.ts", ...args);

async function cli(script: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", script, ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: TEST_KEY_ENCRYPTION_SECRET },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

/** Reads what the command left, through the store, as the server would. */
async function withStore<T>(read: (store: Store) => Promise<T>): Promise<T> {
  const opened = await openStore(loadConfig({ DATABASE_URL: databaseUrl }));
  try {
    return await read(opened.store);
  } finally {
    await opened.close();
  }
}

async function roleOf(username: string) {
  return withStore(async (store) => ({
    role: (await store.users.findByUsername(username))!.role,
    events: (await store.audit.list({ type: "role_changed", limit: 10 })).map((event) => ({ type: event.type, detail: event.detail })),
  }));
}

describe("npm run admin", () => {
  it("grants the admin role and audits it as done from the command line", async () => {
    const result = await admin("grant", "Alice");
    expect(result).toMatchObject({ code: 0 });
    expect(result.output).toContain("alice is now an admin");
    const { role, events } = await roleOf("alice");
    expect(role).toBe("admin");
    expect(events).toEqual([{ type: "role_changed", detail: { by: "command line", from: "user", to: "admin" } }]);
  });

  it("refuses to revoke the last admin without --force, and does it with --force", async () => {
    await admin("grant", "alice");
    const refused = await admin("revoke", "alice");
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("--force");
    expect((await roleOf("alice")).role).toBe("admin");
    expect((await admin("revoke", "alice", "--force")).code).toBe(0);
    expect((await roleOf("alice")).role).toBe("user");
  });

  it("fails clearly for an unknown user or a wrong command", async () => {
    expect(await admin("grant", "nobody")).toMatchObject({ code: 1, output: expect.stringContaining("No user named") });
    expect(await admin("promote", "alice")).toMatchObject({ code: 2, output: expect.stringContaining("usage") });
  });
});

describe("npm run keys:rotate", () => {
  /** The keys, oldest first. */
  const keyRows = () => withStore(async (store) => (await store.signingKeys.list()).reverse().map(({ kid, retiredAt }) => ({ kid, retiredAt })));

  it("retires the current key, makes a new one, and lists both as published", async () => {
    const [before] = await keyRows();
    const result = await cli("scripts/keys.ts", "rotate");
    expect(result.code).toBe(0);
    const after = await keyRows();
    expect(after).toHaveLength(2);
    expect(after[0]).toEqual({ kid: before!.kid, retiredAt: expect.any(Number) });
    expect(after[1]).toEqual({ kid: expect.any(String), retiredAt: null });
    expect(result.output).toContain(`Signing with ${after[1]!.kid} now`);
    expect(result.output).toMatch(new RegExp(`${before!.kid} .* retired .* published`));
  });

  it("fails clearly with the wrong secret, and changes nothing", async () => {
    const before = await keyRows();
    const wrong = await run(process.execPath, ["--import", "tsx", "scripts/keys.ts", "rotate"], {
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET: "another-secret-of-enough-length-0123456789" },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining("KEY_ENCRYPTION_SECRET differs") });
    expect(await keyRows()).toEqual(before);
  });
});

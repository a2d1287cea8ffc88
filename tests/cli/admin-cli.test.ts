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
import { decodeProtectedHeader } from "jose";
import { ROUTES } from "../../shared/routes.ts";
import { createTestApp, json, TEST_KEY_ENCRYPTION_SECRET } from "../helpers/harness.ts";

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

describe("npm run keys:revoke", () => {
  it("takes a leaked key out of the JWKS, has its tokens refused at once by a running server, signs with a new key, and audits it", async () => {
    const t = await createTestApp({ DATABASE_URL: databaseUrl }, { clockStart: new Date() });
    try {
      const bob = t.browser();
      const { accessToken } = await bob.signUp("bob");
      const leaked = decodeProtectedHeader(accessToken).kid!;
      expect((await t.browser().get(ROUTES.me, { bearer: accessToken })).status).toBe(200);

      const result = await cli("scripts/keys.ts", "revoke", leaked);
      expect(result.code).toBe(0);
      expect(result.output).toMatch(new RegExp(`${leaked} .*revoked`));

      // The running server refuses the key's tokens from the next request, without a reload.
      const refused = await t.browser().get(ROUTES.me, { bearer: accessToken });
      expect(refused.status).toBe(401);
      expect(await json(refused)).toMatchObject({ error: { code: "token_invalid", message: expect.stringContaining("revoked") } });
      // Having met it, and it being the key this server signs with, the server reads its keys again
      // at once: the key leaves its JWKS and the next refresh signs with the new one.
      const jwks = (await json(await t.browser().get(ROUTES.jwks))) as { keys: { kid: string }[] };
      expect(jwks.keys.map((key) => key.kid)).not.toContain(leaked);
      const renewed = (await json(await bob.refresh())) as { accessToken: string };
      expect(decodeProtectedHeader(renewed.accessToken).kid).not.toBe(leaked);
      expect((await t.browser().get(ROUTES.me, { bearer: renewed.accessToken })).status).toBe(200);

      const events = await t.store.audit.list({ type: "signing_key_revoked", limit: 10 });
      expect(events.map((event) => event.detail)).toEqual([{ kid: leaked }]);
      expect((await cli("scripts/keys.ts", "list")).output).toMatch(new RegExp(`${leaked} .* revoked`));
    } finally {
      await t.close();
    }
  });

  it("refuses an unknown or already revoked kid, and a missing one, changing nothing", async () => {
    expect(await cli("scripts/keys.ts", "revoke", "no-such-kid")).toMatchObject({ code: 1, output: expect.stringContaining("No signing key") });
    expect(await cli("scripts/keys.ts", "revoke")).toMatchObject({ code: 2, output: expect.stringContaining("usage") });
    const [key] = await withStore((store) => store.signingKeys.list());
    expect((await cli("scripts/keys.ts", "revoke", key!.kid)).code).toBe(0);
    expect(await cli("scripts/keys.ts", "revoke", key!.kid)).toMatchObject({ code: 1, output: expect.stringContaining("already revoked") });
    expect(await withStore(async (store) => (await store.audit.list({ type: "signing_key_revoked", limit: 10 })).length)).toBe(1);
  });
});

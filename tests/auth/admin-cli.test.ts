// npm run admin -- grant|revoke <username>, run as a real process against a database file.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../server/db/client.ts";
import { createTestApp } from "../helpers/harness.ts";

const run = promisify(execFile);
let dir: string;
let databaseUrl: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "admin-cli-"));
  databaseUrl = `file:${join(dir, "auth.db")}`;
  const t = await createTestApp({ DATABASE_URL: databaseUrl });
  await t.browser().signUp("alice");
  t.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function admin(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/admin.ts", ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

function roleOf(username: string) {
  const db = openDatabase(databaseUrl.slice("file:".length));
  const row = db.sqlite.prepare("SELECT role FROM users WHERE username = ?").get(username) as { role: string };
  const events = db.sqlite.prepare("SELECT type, detail FROM audit_events WHERE type = 'role_changed'").all();
  db.close();
  return { role: row.role, events };
}

describe("npm run admin", () => {
  it("grants the admin role and audits it as done from the command line", async () => {
    const result = await admin("grant", "Alice");
    expect(result).toMatchObject({ code: 0 });
    expect(result.output).toContain("alice is now an admin");
    const { role, events } = roleOf("alice");
    expect(role).toBe("admin");
    expect(events).toEqual([{ type: "role_changed", detail: JSON.stringify({ by: "command line", from: "user", to: "admin" }) }]);
  });

  it("refuses to revoke the last admin without --force, and does it with --force", async () => {
    await admin("grant", "alice");
    const refused = await admin("revoke", "alice");
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("--force");
    expect(roleOf("alice").role).toBe("admin");
    expect((await admin("revoke", "alice", "--force")).code).toBe(0);
    expect(roleOf("alice").role).toBe("user");
  });

  it("fails clearly for an unknown user or a wrong command", async () => {
    expect(await admin("grant", "nobody")).toMatchObject({ code: 1, output: expect.stringContaining("No user named") });
    expect(await admin("promote", "alice")).toMatchObject({ code: 2, output: expect.stringContaining("usage") });
  });
});

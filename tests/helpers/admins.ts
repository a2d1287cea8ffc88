// Making an admin in tests the way an operator does: `npm run admin -- grant` against the
// database of a server process, or the same changeAccount call against an in-process app.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { changeAccount } from "../../server/auth/accounts.ts";
import type { Clock } from "../../server/clock.ts";
import type { Store } from "../../server/db/store.ts";

const ROOT = join(import.meta.dirname, "../..");

/** Runs `npm run admin -- grant <username>` (scripts/admin.ts) on a database file. */
export async function grantAdminWithCli(databaseFile: string, username: string): Promise<void> {
  await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/admin.ts", "grant", username], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATABASE_URL: `file:${databaseFile}` },
  });
}

/** What that command does, on an in-process app's store. */
export async function grantAdmin(app: { store: Store; clock: Clock }, username: string): Promise<void> {
  const user = await app.store.users.findByUsername(username);
  if (!user) throw new Error(`no user ${username}`);
  await changeAccount(app, { targetId: user.id, role: "admin", actorId: null, context: { ip: null, userAgent: "npm run admin" } });
}

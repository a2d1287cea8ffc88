// Grants or revokes the admin role on an existing database, from the command line:
//   npm run admin -- grant <username>
//   npm run admin -- revoke <username> [--force]   (--force may remove the last admin)
import { changeAccount } from "../server/auth/accounts.ts";
import { systemClock } from "../server/clock.ts";
import { loadConfig } from "../server/config.ts";
import { openStore } from "../server/db/open-store.ts";
import { AppError } from "../server/errors.ts";
import { runCommand } from "./cli.ts";

const USAGE = "usage: npm run admin -- grant <username> | revoke <username> [--force]";

async function main(args: string[]): Promise<number> {
  const [action, username, ...flags] = args;
  if ((action !== "grant" && action !== "revoke") || !username) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig(process.env);
  const { store, location, close } = await openStore(config);
  try {
    const deps = { store, clock: systemClock };
    const user = await store.users.findByUsername(username.trim().toLowerCase());
    if (!user) {
      console.error(`No user named "${username}" in ${location}.`);
      return 1;
    }
    const role = action === "grant" ? "admin" : "user";
    const context = { ip: null, userAgent: "npm run admin" };
    await changeAccount(deps, { targetId: user.id, role, actorId: null, context, allowNoActiveAdmin: flags.includes("--force") });
    console.log(`${user.username} is now ${role === "admin" ? "an admin" : "a user"}.`);
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      console.error(error.code === "last_admin" ? `${error.message} Add --force to do it anyway.` : error.message);
      return 1;
    }
    throw error;
  } finally {
    await close();
  }
}

await runCommand(main);

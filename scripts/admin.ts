// Grants or revokes the admin role on an existing database, from the command line:
//   npm run admin -- grant <username>
//   npm run admin -- revoke <username> [--force]   (--force may remove the last admin)
// The only way to make the first admin: no username becomes one by registering.
import { AppError } from "../server/errors.ts";
import { runCommand } from "./cli.ts";
import { setRole } from "./roles.ts";

const USAGE = "usage: npm run admin -- grant <username> | revoke <username> [--force]";

async function main(args: string[]): Promise<number> {
  const [action, username, ...flags] = args;
  if ((action !== "grant" && action !== "revoke") || !username) {
    console.error(USAGE);
    return 2;
  }
  const role = action === "grant" ? "admin" : "user";
  try {
    const changed = await setRole(username, role, { force: flags.includes("--force"), tool: "npm run admin" });
    if (changed.outcome === "no_such_user") {
      console.error(`No user named "${username}" in ${changed.location}.`);
      return 1;
    }
    console.log(`${changed.username} is now ${role === "admin" ? "an admin" : "a user"}.`);
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      console.error(error.code === "last_admin" ? `${error.message} Add --force to do it anyway.` : error.message);
      return 1;
    }
    throw error;
  }
}

await runCommand(main);

// Setting a person's role from the command line, on the database the environment names (as the
// server would open it): what `npm run admin` does, and `npm run token -- --admin` after its
// sign-up. Only someone who can open the database can make an admin; nobody gets there by
// registering a name first. Audited as done from the command line.
import { changeAccount } from "../server/auth/accounts.ts";
import { systemClock } from "../server/clock.ts";
import { loadConfig } from "../server/config.ts";
import { openStore } from "../server/db/open-store.ts";
import type { Role } from "../shared/schemas.ts";

export type RoleChange = { outcome: "changed"; username: string } | { outcome: "no_such_user"; location: string };

/** Throws AppError (last_admin) when it would leave no active admin and `force` is not set. */
export async function setRole(username: string, role: Role, options: { force?: boolean; tool: string }): Promise<RoleChange> {
  const { store, location, close } = await openStore(loadConfig(process.env));
  try {
    const user = await store.users.findByUsername(username.trim().toLowerCase());
    if (!user) return { outcome: "no_such_user", location };
    const context = { ip: null, userAgent: options.tool };
    await changeAccount({ store, clock: systemClock }, { targetId: user.id, role, actorId: null, context, allowNoActiveAdmin: options.force ?? false });
    return { outcome: "changed", username: user.username };
  } finally {
    await close();
  }
}

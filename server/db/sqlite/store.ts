// The Store over SQLite: one file per aggregate, each statement prepared once next to the method
// that runs it, each method one atomic step.
import type { SqliteDb } from "../client.ts";
import type { Store } from "../store.ts";
import { sqliteAudit } from "./audit.ts";
import { sqliteChallenges } from "./challenges.ts";
import { sqliteMaintenance } from "./maintenance.ts";
import { sqliteOidc } from "./oidc.ts";
import { sqlitePasskeys } from "./passkeys.ts";
import { memoryRateLimits } from "./rate-limits.ts";
import { sqliteRecovery } from "./recovery.ts";
import { sqliteSessions } from "./sessions.ts";
import { prepareShared } from "./shared.ts";
import { sqliteSigningKeys } from "./signing-keys.ts";
import { sqliteUsers } from "./users.ts";

export function createSqliteStore(db: SqliteDb): Store {
  const shared = prepareShared(db);
  return {
    users: sqliteUsers(db, shared),
    challenges: sqliteChallenges(db, shared),
    passkeys: sqlitePasskeys(db, shared),
    recovery: sqliteRecovery(db),
    sessions: sqliteSessions(db, shared),
    signingKeys: sqliteSigningKeys(db),
    rateLimits: memoryRateLimits(),
    maintenance: sqliteMaintenance(db),
    audit: sqliteAudit(db, shared),
    oidc: sqliteOidc(db),
  };
}

// The Store over PostgreSQL: one file per aggregate, the same shape as the SQLite store, each
// method one atomic step (a single statement, or a transaction that locks what it counts).
import type { Store } from "../store.ts";
import { postgresAudit } from "./audit.ts";
import { postgresChallenges } from "./challenges.ts";
import type { PostgresDb } from "./client.ts";
import { postgresMaintenance } from "./maintenance.ts";
import { postgresOidc } from "./oidc.ts";
import { postgresPasskeys } from "./passkeys.ts";
import { postgresRateLimits } from "./rate-limits.ts";
import { postgresRecovery } from "./recovery.ts";
import { postgresSessions } from "./sessions.ts";
import { postgresSigningKeys } from "./signing-keys.ts";
import { postgresUsers } from "./users.ts";

export function createPostgresStore(db: PostgresDb): Store {
  return {
    users: postgresUsers(db),
    challenges: postgresChallenges(db),
    passkeys: postgresPasskeys(db),
    recovery: postgresRecovery(db),
    sessions: postgresSessions(db),
    signingKeys: postgresSigningKeys(db),
    rateLimits: postgresRateLimits(db),
    maintenance: postgresMaintenance(db),
    audit: postgresAudit(db),
    oidc: postgresOidc(db),
  };
}

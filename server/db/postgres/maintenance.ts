// Purging what has ended on PostgreSQL: the same bounded batches as on SQLite, one statement per
// table. Instances purging at once delete disjoint or already-deleted rows: harmless.
import { sql } from "drizzle-orm";
import type { Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";

export function postgresMaintenance(db: PostgresDb): Store["maintenance"] {
  const run = async (statement: ReturnType<typeof sql>) => ((await db.execute(statement)) as unknown as { rowCount: number | null }).rowCount ?? 0;
  return {
    purge: async ({ now, auditBefore, limit }) => ({
      // Their refresh tokens go with them (ON DELETE CASCADE).
      sessions: await run(
        sql`DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ${now}::bigint ORDER BY expires_at LIMIT ${limit}::int)`,
      ),
      challenges: await run(
        sql`DELETE FROM challenges WHERE challenge IN (SELECT challenge FROM challenges WHERE expires_at <= ${now}::bigint ORDER BY expires_at LIMIT ${limit}::int)`,
      ),
      recoveryGrants: await run(
        sql`DELETE FROM recovery_grants WHERE id IN (SELECT id FROM recovery_grants WHERE expires_at <= ${now}::bigint LIMIT ${limit}::int)`,
      ),
      oidcPayloads: await run(
        sql`DELETE FROM oidc_payloads WHERE (model, id) IN (SELECT model, id FROM oidc_payloads WHERE expires_at <= ${now}::bigint ORDER BY expires_at LIMIT ${limit}::int)`,
      ),
      // Ids grow with time: the oldest `limit` rows are the candidates, no index on created_at needed.
      auditEvents:
        auditBefore === null
          ? 0
          : await run(
              sql`DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events ORDER BY id LIMIT ${limit}::int) AND created_at < ${auditBefore}::bigint`,
            ),
    }),
  };
}

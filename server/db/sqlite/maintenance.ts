// Purging what has ended on SQLite: each table its own short write, each a bounded batch found by
// an index (or, for the audit log, among its oldest rows by id), so a purge never holds the
// writer long however much has piled up.
import { sql } from "drizzle-orm";
import type { SqliteDb } from "../client.ts";
import type { Store } from "../store.ts";

export function sqliteMaintenance(db: SqliteDb): Store["maintenance"] {
  const run = (statement: ReturnType<typeof sql>) => db.run(statement).changes;
  return {
    purge: async ({ now, auditBefore, limit }) => ({
      // Their refresh tokens go with them (ON DELETE CASCADE).
      sessions: run(sql`DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ${now} ORDER BY expires_at LIMIT ${limit})`),
      challenges: run(sql`DELETE FROM challenges WHERE rowid IN (SELECT rowid FROM challenges WHERE expires_at <= ${now} ORDER BY expires_at LIMIT ${limit})`),
      recoveryGrants: run(sql`DELETE FROM recovery_grants WHERE rowid IN (SELECT rowid FROM recovery_grants WHERE expires_at <= ${now} LIMIT ${limit})`),
      oidcPayloads: run(
        sql`DELETE FROM oidc_payloads WHERE rowid IN (SELECT rowid FROM oidc_payloads WHERE expires_at <= ${now} ORDER BY expires_at LIMIT ${limit})`,
      ),
      // Ids grow with time: the oldest `limit` rows are the candidates, no index on created_at needed.
      auditEvents:
        auditBefore === null
          ? 0
          : run(sql`DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events ORDER BY id LIMIT ${limit}) AND created_at < ${auditBefore}`),
    }),
  };
}

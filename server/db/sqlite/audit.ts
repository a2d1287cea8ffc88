// The audit log on SQLite: events written (alone, or inside another aggregate's transaction
// through SqliteShared) and read newest first.
import { desc, eq, sql } from "drizzle-orm";
import type { SqliteDb } from "../client.ts";
import { auditEvents, users } from "../schema.ts";
import type { AuditEventRecord, Store } from "../store.ts";
import { p, type SqliteShared } from "./shared.ts";

export function sqliteAudit(db: SqliteDb, shared: SqliteShared): Store["audit"] {
  const list = db
    .select({
      id: auditEvents.id,
      type: auditEvents.type,
      userId: auditEvents.userId,
      username: users.username,
      sessionId: auditEvents.sessionId,
      ip: auditEvents.ip,
      userAgent: auditEvents.userAgent,
      detail: auditEvents.detail,
      createdAt: auditEvents.createdAt,
    })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.userId))
    .where(
      sql`(${p("userId")} IS NULL OR ${auditEvents.userId} = ${p("userId")})
        AND (${p("type")} IS NULL OR ${auditEvents.type} = ${p("type")})
        AND (${p("beforeId")} IS NULL OR ${auditEvents.id} < ${p("beforeId")})`,
    )
    .orderBy(desc(auditEvents.id))
    .limit(p("limit"))
    .prepare();

  return {
    record: async (event) => shared.writeAudit(event),
    list: async ({ userId, type, beforeId, limit }) =>
      list
        .all({ userId: userId ?? null, type: type ?? null, beforeId: beforeId ?? null, limit })
        .map((row): AuditEventRecord => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> })),
  };
}

// The audit log on PostgreSQL: events written (alone, or inside another aggregate's statement)
// and read newest first.
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { AuditEventRecord, Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { auditEvents, users } from "./schema.ts";
import { writeAudit } from "./shared.ts";

export function postgresAudit(db: PostgresDb): Store["audit"] {
  return {
    record: (event) => writeAudit(db, event),
    list: async ({ userId, type, beforeId, limit }) => {
      const conditions: SQL[] = [];
      if (userId !== undefined) conditions.push(eq(auditEvents.userId, userId));
      if (type !== undefined) conditions.push(eq(auditEvents.type, type));
      if (beforeId !== undefined) conditions.push(lt(auditEvents.id, beforeId));
      const rows = await db
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
        .where(and(...conditions))
        .orderBy(desc(auditEvents.id))
        .limit(limit);
      return rows.map((row): AuditEventRecord => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));
    },
  };
}

// Signing keys on PostgreSQL: a partial unique index allows one current key, so instances that
// start or rotate at once end with one; a rotation only the holder of the current key can make.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { signingKeys } from "./schema.ts";

export function postgresSigningKeys(db: PostgresDb): Store["signingKeys"] {
  return {
    list: async () => db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)),
    insertIfNoneCurrent: async (key) => (await db.insert(signingKeys).values(key).onConflictDoNothing().returning({ kid: signingKeys.kid })).length === 1,
    rotate: async ({ currentKid, retiredAt, next }) =>
      db.transaction(async (tx) => {
        const retired = await tx
          .update(signingKeys)
          .set({ retiredAt })
          .where(and(eq(signingKeys.kid, currentKid), isNull(signingKeys.retiredAt)))
          .returning({ kid: signingKeys.kid });
        if (retired.length !== 1) return false;
        await tx.insert(signingKeys).values(next);
        return true;
      }),
    revoke: async (kid, now) =>
      (
        await db
          .update(signingKeys)
          .set({ retiredAt: sql`coalesce(${signingKeys.retiredAt}, ${now}::bigint)`, revokedAt: now })
          .where(and(eq(signingKeys.kid, kid), isNull(signingKeys.revokedAt)))
          .returning({ kid: signingKeys.kid })
      ).length === 1,
  };
}

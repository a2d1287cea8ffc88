// Recovery on SQLite: code hashes replaced as a set and used once; grants used once before expiry.
import { randomUUID } from "node:crypto";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { SqliteDb } from "../client.ts";
import { recoveryCodes, recoveryGrants } from "../schema.ts";
import type { Store } from "../store.ts";
import { p } from "./shared.ts";

export function sqliteRecovery(db: SqliteDb): Store["recovery"] {
  const deleteCodes = db
    .delete(recoveryCodes)
    .where(eq(recoveryCodes.userId, p("userId")))
    .prepare();
  const insertCode = db
    .insert(recoveryCodes)
    .values({ id: p("id"), userId: p("userId"), codeHash: p("codeHash"), createdAt: p("createdAt") })
    .prepare();
  // Conditional on "unused": of two uses of one code, one changes the row.
  const useCode = db
    .update(recoveryCodes)
    .set({ usedAt: sql`${p("now")}` })
    .where(and(eq(recoveryCodes.userId, p("userId")), eq(recoveryCodes.codeHash, p("codeHash")), isNull(recoveryCodes.usedAt)))
    .prepare();
  const countUnused = db
    .select({ n: sql<number>`count(*)` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, p("userId")), isNull(recoveryCodes.usedAt)))
    .prepare();
  const liveGrant = and(eq(recoveryGrants.tokenHash, p("tokenHash")), isNull(recoveryGrants.usedAt), gt(recoveryGrants.expiresAt, p("now")));
  const grantUser = db.select({ userId: recoveryGrants.userId }).from(recoveryGrants).where(liveGrant).prepare();
  const consumeGrant = db
    .update(recoveryGrants)
    .set({ usedAt: sql`${p("now")}` })
    .where(liveGrant)
    .returning({ userId: recoveryGrants.userId })
    .prepare();

  return {
    replaceCodes: async (userId, codeHashes, now) => {
      db.transaction(() => {
        deleteCodes.run({ userId });
        for (const codeHash of codeHashes) insertCode.run({ id: randomUUID(), userId, codeHash, createdAt: now });
      });
    },
    useCode: async (userId, codeHash, now) => useCode.run({ userId, codeHash, now }).changes === 1,
    countUnusedCodes: async (userId) => countUnused.get({ userId })?.n ?? 0,
    insertGrant: async (grant) => {
      db.insert(recoveryGrants).values(grant).run();
    },
    findGrantUser: async (tokenHash, now) => grantUser.get({ tokenHash, now })?.userId ?? null,
    consumeGrant: async (tokenHash, now) => consumeGrant.get({ tokenHash, now })?.userId ?? null,
  };
}

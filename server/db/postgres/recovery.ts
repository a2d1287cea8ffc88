// Recovery on PostgreSQL: code hashes replaced as a set and used once; grants used once before
// expiry (conditional updates: of two uses, one changes the row).
import { randomUUID } from "node:crypto";
import { and, count, eq, gt, isNull } from "drizzle-orm";
import type { Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { recoveryCodes, recoveryGrants } from "./schema.ts";

export function postgresRecovery(db: PostgresDb): Store["recovery"] {
  const liveGrant = (tokenHash: string, now: number) =>
    and(eq(recoveryGrants.tokenHash, tokenHash), isNull(recoveryGrants.usedAt), gt(recoveryGrants.expiresAt, now));
  return {
    replaceCodes: async (userId, codeHashes, now) => {
      await db.transaction(async (tx) => {
        await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
        if (codeHashes.length > 0)
          await tx.insert(recoveryCodes).values(codeHashes.map((codeHash) => ({ id: randomUUID(), userId, codeHash, createdAt: now })));
      });
    },
    useCode: async (userId, codeHash, now) =>
      (
        await db
          .update(recoveryCodes)
          .set({ usedAt: now })
          .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt)))
          .returning({ id: recoveryCodes.id })
      ).length === 1,
    countUnusedCodes: async (userId) =>
      (
        await db
          .select({ n: count() })
          .from(recoveryCodes)
          .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
      )[0]?.n ?? 0,
    insertGrant: async (grant) => {
      await db.insert(recoveryGrants).values(grant);
    },
    findGrantUser: async (tokenHash, now) =>
      (await db.select({ userId: recoveryGrants.userId }).from(recoveryGrants).where(liveGrant(tokenHash, now)))[0]?.userId ?? null,
    consumeGrant: async (tokenHash, now) =>
      (await db.update(recoveryGrants).set({ usedAt: now }).where(liveGrant(tokenHash, now)).returning({ userId: recoveryGrants.userId }))[0]?.userId ?? null,
  };
}

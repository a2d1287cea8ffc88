// Ceremony challenges on PostgreSQL: stored with their purpose and expiry, bounded in number, and
// consumed at most once (DELETE … RETURNING: whoever deletes the row has it).
import { count, eq, lt, sql } from "drizzle-orm";
import type { ChallengeRecord, Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { challenges } from "./schema.ts";

export function postgresChallenges(db: PostgresDb): Store["challenges"] {
  const consume = db
    .delete(challenges)
    .where(eq(challenges.challenge, sql.placeholder("challenge")))
    .returning({
      challenge: challenges.challenge,
      purpose: challenges.purpose,
      userId: challenges.userId,
      username: challenges.username,
      displayName: challenges.displayName,
      webauthnUserId: challenges.webauthnUserId,
      expiresAt: challenges.expiresAt,
      createdAt: challenges.createdAt,
    })
    .prepare("challenges_consume");

  return {
    insert: async (challenge, { now, maxPending }) => {
      await db.transaction(async (tx) => {
        await tx.delete(challenges).where(lt(challenges.expiresAt, now));
        await tx.insert(challenges).values(challenge);
        // Keeps the newest maxPending (by insertion order).
        await tx.execute(sql`DELETE FROM ${challenges} WHERE ${challenges.seq} <= (SELECT max(${challenges.seq}) FROM ${challenges}) - ${maxPending}`);
      });
    },
    consume: async (challenge) => ((await consume.execute({ challenge }))[0] as ChallengeRecord | undefined) ?? null,
    find: async (challenge) => ((await db.select().from(challenges).where(eq(challenges.challenge, challenge)))[0] as ChallengeRecord | undefined) ?? null,
    count: async () => (await db.select({ n: count() }).from(challenges))[0]?.n ?? 0,
  };
}

// Ceremony challenges on SQLite: stored with their purpose and expiry, bounded in number, and
// consumed at most once.
import { eq, lt, sql } from "drizzle-orm";
import type { SqliteDb } from "../client.ts";
import { challenges } from "../schema.ts";
import type { Store } from "../store.ts";
import { p, type SqliteShared } from "./shared.ts";

export function sqliteChallenges(db: SqliteDb, shared: SqliteShared): Store["challenges"] {
  const insert = db
    .insert(challenges)
    .values({
      challenge: p("challenge"),
      purpose: p("purpose"),
      userId: p("userId"),
      username: p("username"),
      displayName: p("displayName"),
      webauthnUserId: p("webauthnUserId"),
      expiresAt: p("expiresAt"),
      createdAt: p("createdAt"),
    })
    .prepare();
  const deleteExpired = db
    .delete(challenges)
    .where(lt(challenges.expiresAt, p("now")))
    .prepare();
  // rowid grows with each insert, so the rows at or below max(rowid) - maxPending are the oldest.
  const trim = db
    .delete(challenges)
    .where(sql`rowid <= (SELECT max(rowid) FROM ${challenges}) - ${p("maxPending")}`)
    .prepare();
  // DELETE … RETURNING: whoever deletes the row has it; a second consume finds nothing.
  const consume = db
    .delete(challenges)
    .where(eq(challenges.challenge, p("challenge")))
    .returning()
    .prepare();
  const byValue = db
    .select()
    .from(challenges)
    .where(eq(challenges.challenge, p("challenge")))
    .prepare();
  const count = db.select({ n: sql<number>`count(*)` }).from(challenges).prepare();

  return {
    insert: (challenge, { now, maxPending }) =>
      shared.commit(() => {
        deleteExpired.run({ now });
        insert.run(challenge);
        trim.run({ maxPending });
      }),
    consume: async (challenge) => consume.get({ challenge }) ?? null,
    find: async (challenge) => byValue.get({ challenge }) ?? null,
    count: async () => count.get()?.n ?? 0,
  };
}

// Passkeys on SQLite: lookups by credential, the signature counter that only moves forward, names,
// and deletion that never removes a user's last passkey.
import { and, asc, eq, ne, sql } from "drizzle-orm";
import type { SqliteDb } from "../client.ts";
import { passkeys, sessions } from "../schema.ts";
import { toPasskey, toPasskeyRow } from "../rows.ts";
import type { Store } from "../store.ts";
import { isLive, isUniqueViolation, p, type SqliteShared, WRITER } from "./shared.ts";

export function sqlitePasskeys(db: SqliteDb, shared: SqliteShared): Store["passkeys"] {
  const byCredentialId = db
    .select()
    .from(passkeys)
    .where(eq(passkeys.credentialId, p("credentialId")))
    .prepare();
  const descriptors = db
    .select({ credentialId: passkeys.credentialId, transports: passkeys.transports })
    .from(passkeys)
    .where(eq(passkeys.userId, p("userId")))
    .orderBy(asc(passkeys.createdAt))
    .prepare();
  const ofUser = db
    .select()
    .from(passkeys)
    .where(eq(passkeys.userId, p("userId")))
    .orderBy(asc(passkeys.createdAt))
    .prepare();
  const rename = db
    .update(passkeys)
    .set({ name: sql`${p("name")}` })
    .where(and(eq(passkeys.id, p("id")), eq(passkeys.userId, p("userId"))))
    .prepare();
  const countOfUser = db
    .select({ n: sql<number>`count(*)` })
    .from(passkeys)
    .where(eq(passkeys.userId, p("userId")))
    .prepare();
  const liveSessionsOpenedBy = db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, p("userId")), eq(sessions.passkeyId, p("passkeyId")), ne(sessions.id, p("keepSessionId")), isLive(p("now"))))
    .prepare();
  const remove = db
    .delete(passkeys)
    .where(and(eq(passkeys.id, p("id")), eq(passkeys.userId, p("userId"))))
    .prepare();

  return {
    findByCredentialId: async (credentialId) => {
      const row = byCredentialId.get({ credentialId });
      return row ? toPasskey(row) : null;
    },
    listDescriptorsForUser: async (userId) =>
      descriptors.all({ userId }).map((row) => ({ credentialId: row.credentialId, transports: JSON.parse(row.transports) as string[] })),
    recordUse: async (id, use) => shared.recordPasskeyUse(id, use),
    listForUser: async (userId) => ofUser.all({ userId }).map(toPasskey),
    insert: async (passkey) => {
      try {
        db.insert(passkeys).values(toPasskeyRow(passkey)).run();
        return "created";
      } catch (error) {
        if (isUniqueViolation(error, "passkeys.credential_id")) return "passkey_already_registered";
        throw error;
      }
    },
    rename: async ({ id, userId, name }) => rename.run({ id, userId, name }).changes === 1,
    // One writer transaction: two deletions of a user's last two passkeys cannot both see two.
    deleteUnlessLast: async ({ id, userId, keepSessionId, now }) =>
      db.transaction(() => {
        if (!ofUser.all({ userId }).some((passkey) => passkey.id === id)) return { outcome: "not_found" as const };
        if ((countOfUser.get({ userId })?.n ?? 0) <= 1) return { outcome: "last_passkey" as const };
        const opened = liveSessionsOpenedBy.all({ userId, passkeyId: id, keepSessionId, now }).map((row) => row.id);
        shared.revokeSessions(opened, "passkey_removed", now);
        remove.run({ id, userId });
        return { outcome: "deleted" as const, revokedSessionIds: opened };
      }, WRITER),
  };
}

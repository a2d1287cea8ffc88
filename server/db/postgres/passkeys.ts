// Passkeys on PostgreSQL: lookups by credential, the signature counter that only moves forward,
// names, and deletion that never removes a user's last passkey.
import { and, asc, count, eq, ne, sql } from "drizzle-orm";
import { toPasskey, toPasskeyRow } from "../rows.ts";
import type { Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { passkeys, sessions } from "./schema.ts";
import { isLive, isUniqueViolation, lockUser, recordPasskeyUse, revokeSessions } from "./shared.ts";

const p = sql.placeholder;

export function postgresPasskeys(db: PostgresDb): Store["passkeys"] {
  const byCredentialId = db
    .select()
    .from(passkeys)
    .where(eq(passkeys.credentialId, p("credentialId")))
    .prepare("passkeys_by_credential_id");
  // WebAuthn §7.2 step 22: the stored counter only grows; both zero is a passkey without a
  // counter. One conditional UPDATE: of two assertions carrying one counter, one changes the row.

  return {
    findByCredentialId: async (credentialId) => {
      const [row] = await byCredentialId.execute({ credentialId });
      return row ? toPasskey(row) : null;
    },
    listDescriptorsForUser: async (userId) =>
      (
        await db
          .select({ credentialId: passkeys.credentialId, transports: passkeys.transports })
          .from(passkeys)
          .where(eq(passkeys.userId, userId))
          .orderBy(asc(passkeys.createdAt))
      ).map((row) => ({ credentialId: row.credentialId, transports: JSON.parse(row.transports) as string[] })),
    recordUse: (id, use) => recordPasskeyUse(db, id, use),
    listForUser: async (userId) => (await db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt))).map(toPasskey),
    insert: async (passkey) => {
      try {
        await db.insert(passkeys).values(toPasskeyRow(passkey));
        return "created";
      } catch (error) {
        if (isUniqueViolation(error, "passkeys_credential_id_unique")) return "passkey_already_registered";
        throw error;
      }
    },
    rename: async ({ id, userId, name }) =>
      (
        await db
          .update(passkeys)
          .set({ name })
          .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
          .returning({ id: passkeys.id })
      ).length === 1,
    // The user's row is locked first: two deletions of their last two passkeys queue, and the
    // second counts one.
    deleteUnlessLast: async ({ id, userId, keepSessionId, now }) =>
      db.transaction(async (tx) => {
        if (!(await lockUser(tx, userId))) return { outcome: "not_found" as const };
        const owned = await tx
          .select({ id: passkeys.id })
          .from(passkeys)
          .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)));
        if (owned.length === 0) return { outcome: "not_found" as const };
        const [total] = await tx.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId));
        if ((total?.n ?? 0) <= 1) return { outcome: "last_passkey" as const };
        const opened = (
          await tx
            .select({ id: sessions.id })
            .from(sessions)
            .where(and(eq(sessions.userId, userId), eq(sessions.passkeyId, id), ne(sessions.id, keepSessionId), isLive(now)))
        ).map((row) => row.id);
        await revokeSessions(tx, opened, "passkey_removed", now);
        await tx.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)));
        return { outcome: "deleted" as const, revokedSessionIds: opened };
      }),
  };
}

// Users on PostgreSQL: lookups, the admin list, sign-up with the first passkey, and role or block
// changes that never leave the platform without an active admin.
import { and, asc, count, eq, isNull, sql } from "drizzle-orm";
import { containsPattern, toPasskeyRow } from "../rows.ts";
import type { Store, UserRecord, UserSummary } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { passkeys, users } from "./schema.ts";
import { isUniqueViolation, liveSessionIdsOfUser, revokeSessions, userColumns } from "./shared.ts";

const p = sql.placeholder;

export function postgresUsers(db: PostgresDb): Store["users"] {
  const byUsername = db
    .select(userColumns)
    .from(users)
    .where(eq(users.username, p("username")))
    .prepare("users_by_username");
  const byId = db
    .select(userColumns)
    .from(users)
    .where(eq(users.id, p("id")))
    .prepare("users_by_id");
  const summaries = (now: number) =>
    db
      .select({
        ...userColumns,
        passkeyCount: sql<number>`(SELECT count(*)::int FROM passkeys WHERE passkeys.user_id = "users"."id")`,
        liveSessionCount: sql<number>`(SELECT count(*)::int FROM sessions WHERE sessions.user_id = "users"."id"
          AND sessions.revoked_at IS NULL AND sessions.expires_at > ${now} AND sessions.idle_expires_at > ${now})`,
      })
      .from(users);
  const usernameContains = (pattern: string) => sql`${users.username} LIKE ${pattern} ESCAPE '\\'`;

  return {
    findByUsername: async (username) => ((await byUsername.execute({ username }))[0] as UserRecord | undefined) ?? null,
    findById: async (id) => ((await byId.execute({ id }))[0] as UserRecord | undefined) ?? null,
    countActiveAdmins: async () =>
      (
        await db
          .select({ n: count() })
          .from(users)
          .where(and(eq(users.role, "admin"), isNull(users.blockedAt)))
      )[0]?.n ?? 0,
    list: async ({ search, limit, offset, now }) => {
      const pattern = containsPattern(search);
      const [rows, [total]] = await Promise.all([
        summaries(now).where(usernameContains(pattern)).orderBy(asc(users.username)).limit(limit).offset(offset),
        db.select({ n: count() }).from(users).where(usernameContains(pattern)),
      ]);
      return { users: rows as UserSummary[], total: total?.n ?? 0 };
    },
    findSummary: async (id, now) => ((await summaries(now).where(eq(users.id, id)))[0] as UserSummary | undefined) ?? null,
    // The active admins' rows are locked (in id order, so two changes never deadlock) before the
    // target's: a concurrent change that would remove another admin waits, then counts again.
    change: async ({ id, role, blockedAt, allowNoActiveAdmin, now }) =>
      db.transaction(async (tx) => {
        const activeAdmins = await tx
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.role, "admin"), isNull(users.blockedAt)))
          .orderBy(asc(users.id))
          .for("update");
        const [before] = (await tx.select(userColumns).from(users).where(eq(users.id, id)).for("update")) as UserRecord[];
        if (!before) return { outcome: "not_found" as const };
        const after: UserRecord = { ...before, role: role ?? before.role, blockedAt: blockedAt === undefined ? before.blockedAt : blockedAt };
        const wasActiveAdmin = before.role === "admin" && before.blockedAt === null;
        const staysActiveAdmin = after.role === "admin" && after.blockedAt === null;
        if (wasActiveAdmin && !staysActiveAdmin && !allowNoActiveAdmin && activeAdmins.length <= 1) return { outcome: "last_admin" as const };
        await tx.update(users).set({ role: after.role, blockedAt: after.blockedAt }).where(eq(users.id, id));
        let revokedSessionIds: string[] = [];
        if (before.blockedAt === null && after.blockedAt !== null) {
          revokedSessionIds = await liveSessionIdsOfUser(tx, id, now);
          await revokeSessions(tx, revokedSessionIds, "account_blocked", now);
        }
        return { outcome: "changed" as const, before, after, revokedSessionIds };
      }),
    createWithPasskey: async (user, passkey) => {
      try {
        await db.transaction(async (tx) => {
          await tx.insert(users).values(user);
          await tx.insert(passkeys).values(toPasskeyRow(passkey));
        });
        return "created";
      } catch (error) {
        if (isUniqueViolation(error, "users_username_unique")) return "username_taken";
        if (isUniqueViolation(error, "passkeys_credential_id_unique")) return "passkey_already_registered";
        throw error;
      }
    },
  };
}

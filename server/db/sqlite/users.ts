// Users on SQLite: lookups, the admin list, sign-up with the first passkey, and role or block
// changes that never leave the platform without an active admin.
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { SqliteDb } from "../client.ts";
import { passkeys, users } from "../schema.ts";
import { containsPattern, toPasskeyRow } from "../rows.ts";
import type { Store, UserRecord, UserSummary } from "../store.ts";
import { isUniqueViolation, p, type SqliteShared, userColumns, WRITER } from "./shared.ts";

export function sqliteUsers(db: SqliteDb, shared: SqliteShared): Store["users"] {
  const usernameContains = sql`${users.username} LIKE ${p("pattern")} ESCAPE '\\'`;
  const selectUserSummaries = () =>
    db
      .select({
        ...userColumns,
        // Correlated on "users"."id" written out: drizzle renders ${users.id} unqualified here.
        passkeyCount: sql<number>`(SELECT count(*) FROM passkeys WHERE passkeys.user_id = "users"."id")`,
        liveSessionCount: sql<number>`(SELECT count(*) FROM sessions WHERE sessions.user_id = "users"."id"
          AND sessions.revoked_at IS NULL AND sessions.expires_at > ${p("now")} AND sessions.idle_expires_at > ${p("now")})`,
      })
      .from(users);

  const byUsername = db
    .select(userColumns)
    .from(users)
    .where(eq(users.username, p("username")))
    .prepare();
  const byId = db
    .select(userColumns)
    .from(users)
    .where(eq(users.id, p("id")))
    .prepare();
  const listPage = selectUserSummaries().where(usernameContains).orderBy(asc(users.username)).limit(p("limit")).offset(p("offset")).prepare();
  const countMatching = db.select({ n: sql<number>`count(*)` }).from(users).where(usernameContains).prepare();
  const summary = selectUserSummaries()
    .where(eq(users.id, p("id")))
    .prepare();
  const countActiveAdmins = db
    .select({ n: sql<number>`count(*)` })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.blockedAt)))
    .prepare();
  const setRoleAndBlock = db
    .update(users)
    .set({ role: sql`${p("role")}`, blockedAt: sql`${p("blockedAt")}` })
    .where(eq(users.id, p("id")))
    .prepare();

  return {
    findByUsername: async (username) => (byUsername.get({ username }) as UserRecord | undefined) ?? null,
    findById: async (id) => (byId.get({ id }) as UserRecord | undefined) ?? null,
    countActiveAdmins: async () => countActiveAdmins.get()?.n ?? 0,
    list: async ({ search, limit, offset, now }) => {
      const pattern = containsPattern(search);
      return { users: listPage.all({ pattern, limit, offset, now }) as UserSummary[], total: countMatching.get({ pattern })?.n ?? 0 };
    },
    findSummary: async (id, now) => (summary.get({ id, now }) as UserSummary | undefined) ?? null,
    // One writer transaction: the count of active admins cannot change between the check and the write.
    change: async ({ id, role, blockedAt, allowNoActiveAdmin, now }) =>
      db.transaction(() => {
        const before = byId.get({ id }) as UserRecord | undefined;
        if (!before) return { outcome: "not_found" as const };
        const after: UserRecord = { ...before, role: role ?? before.role, blockedAt: blockedAt === undefined ? before.blockedAt : blockedAt };
        const wasActiveAdmin = before.role === "admin" && before.blockedAt === null;
        const staysActiveAdmin = after.role === "admin" && after.blockedAt === null;
        if (wasActiveAdmin && !staysActiveAdmin && !allowNoActiveAdmin && (countActiveAdmins.get()?.n ?? 0) <= 1) {
          return { outcome: "last_admin" as const };
        }
        setRoleAndBlock.run({ id, role: after.role, blockedAt: after.blockedAt });
        // A blocked user's sessions end in the same step: their refresh tokens die with them.
        let revokedSessionIds: string[] = [];
        if (before.blockedAt === null && after.blockedAt !== null) {
          revokedSessionIds = shared.liveSessionIdsOfUser(id, now);
          shared.revokeSessions(revokedSessionIds, "account_blocked", now);
        }
        return { outcome: "changed" as const, before, after, revokedSessionIds };
      }, WRITER),
    createWithPasskey: async (user, passkey) => {
      try {
        db.transaction((tx) => {
          tx.insert(users).values(user).run();
          tx.insert(passkeys).values(toPasskeyRow(passkey)).run();
        });
        return "created";
      } catch (error) {
        if (isUniqueViolation(error, "users.username")) return "username_taken";
        if (isUniqueViolation(error, "passkeys.credential_id")) return "passkey_already_registered";
        throw error;
      }
    },
  };
}

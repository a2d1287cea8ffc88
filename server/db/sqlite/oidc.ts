// The OpenID Provider's state on SQLite: oidc-provider's objects, its clients, and the links to
// platform sessions. Not a hot path (a sign-in through an app, a code exchange, an app's refresh),
// so plain statements; every multi-row change is one transaction.
import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { SqliteDb } from "../client.ts";
import { oidcClients, oidcGrants, oidcPayloads, oidcSessionLinks } from "../schema.ts";
import { fromClientRow, toClientRow } from "../rows.ts";
import type { Store } from "../store.ts";
import { WRITER } from "./shared.ts";

const unexpired = (now: number) => or(isNull(oidcPayloads.expiresAt), gt(oidcPayloads.expiresAt, now));
const payloadColumns = { id: oidcPayloads.id, payload: oidcPayloads.payload, consumedAt: oidcPayloads.consumedAt };

export function sqliteOidc(db: SqliteDb): Store["oidc"] {
  const revokeGrant = (grantId: string) => {
    db.delete(oidcPayloads).where(eq(oidcPayloads.grantId, grantId)).run();
    db.delete(oidcGrants).where(eq(oidcGrants.grantId, grantId)).run();
  };
  return {
    upsert: async (model, id, row) => {
      db.insert(oidcPayloads)
        .values({ model, id, ...row })
        .onConflictDoUpdate({ target: [oidcPayloads.model, oidcPayloads.id], set: row })
        .run();
    },
    find: async (model, id, now) =>
      db
        .select(payloadColumns)
        .from(oidcPayloads)
        .where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, id), unexpired(now)))
        .get() ?? null,
    findBy: async (model, by, now) =>
      db
        .select(payloadColumns)
        .from(oidcPayloads)
        .where(and(eq(oidcPayloads.model, model), "uid" in by ? eq(oidcPayloads.uid, by.uid) : eq(oidcPayloads.userCode, by.userCode), unexpired(now)))
        .get() ?? null,
    consume: async (model, id, now) => {
      db.update(oidcPayloads)
        .set({ consumedAt: now })
        .where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, id)))
        .run();
    },
    destroy: async (model, id) => {
      db.delete(oidcPayloads)
        .where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, id)))
        .run();
    },
    revokeGrant: async (grantId) => db.transaction(() => revokeGrant(grantId), WRITER),
    linkGrant: async (link) => {
      db.insert(oidcGrants)
        .values(link)
        .onConflictDoUpdate({ target: oidcGrants.grantId, set: { sessionId: link.sessionId } })
        .run();
    },
    linkSession: async (uid, sessionId) => {
      db.insert(oidcSessionLinks).values({ uid, sessionId }).onConflictDoUpdate({ target: oidcSessionLinks.uid, set: { sessionId } }).run();
    },
    sessionOfGrant: async (grantId) =>
      db.select({ sessionId: oidcGrants.sessionId }).from(oidcGrants).where(eq(oidcGrants.grantId, grantId)).get()?.sessionId ?? null,
    sessionOfProviderSession: async (uid) =>
      db.select({ sessionId: oidcSessionLinks.sessionId }).from(oidcSessionLinks).where(eq(oidcSessionLinks.uid, uid)).get()?.sessionId ?? null,
    listGrantsOfUser: async (userId) =>
      db
        .select({
          grantId: oidcGrants.grantId,
          clientId: oidcGrants.clientId,
          clientName: oidcClients.name,
          sessionId: oidcGrants.sessionId,
          createdAt: oidcGrants.createdAt,
        })
        .from(oidcGrants)
        .innerJoin(oidcClients, eq(oidcClients.clientId, oidcGrants.clientId))
        .where(eq(oidcGrants.userId, userId))
        .orderBy(desc(oidcGrants.createdAt))
        .all(),
    clients: {
      insert: async (client) => {
        try {
          db.insert(oidcClients).values(toClientRow(client)).run();
          return true;
        } catch (error) {
          if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") return false; // the id is taken
          throw error;
        }
      },
      find: async (clientId) => {
        const row = db.select().from(oidcClients).where(eq(oidcClients.clientId, clientId)).get();
        return row ? fromClientRow(row) : null;
      },
      list: async () => db.select().from(oidcClients).orderBy(oidcClients.createdAt).all().map(fromClientRow),
      delete: async (clientId) =>
        db.transaction(() => {
          const grants = db.select({ grantId: oidcGrants.grantId }).from(oidcGrants).where(eq(oidcGrants.clientId, clientId)).all();
          for (const { grantId } of grants) revokeGrant(grantId);
          return db.delete(oidcClients).where(eq(oidcClients.clientId, clientId)).run().changes === 1;
        }, WRITER),
    },
  };
}

/** Statements revokeSessions runs for each session it revoked: its apps and its oidc-provider sessions end with it. */
export function endOidcStateOfSession(db: SqliteDb) {
  const grantObjects = db
    .delete(oidcPayloads)
    .where(sql`${oidcPayloads.grantId} IN (SELECT ${oidcGrants.grantId} FROM ${oidcGrants} WHERE ${oidcGrants.sessionId} = ${sql.placeholder("id")})`)
    .prepare();
  const grants = db
    .delete(oidcGrants)
    .where(eq(oidcGrants.sessionId, sql.placeholder("id")))
    .prepare();
  const providerSessions = db
    .delete(oidcPayloads)
    .where(
      and(
        eq(oidcPayloads.model, "Session"),
        sql`${oidcPayloads.uid} IN (SELECT ${oidcSessionLinks.uid} FROM ${oidcSessionLinks} WHERE ${oidcSessionLinks.sessionId} = ${sql.placeholder("id")})`,
      ),
    )
    .prepare();
  const links = db
    .delete(oidcSessionLinks)
    .where(eq(oidcSessionLinks.sessionId, sql.placeholder("id")))
    .prepare();
  return (id: string) => {
    grantObjects.run({ id });
    grants.run({ id });
    providerSessions.run({ id });
    links.run({ id });
  };
}

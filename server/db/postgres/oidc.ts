// The OpenID Provider's state on PostgreSQL: the same methods as ../sqlite/oidc.ts, each one
// statement or one transaction.
import { and, desc, eq, gt, inArray, isNull, or } from "drizzle-orm";
import { fromClientRow, toClientRow } from "../rows.ts";
import type { Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { oidcClients, oidcGrants, oidcPayloads, oidcSessionLinks } from "./schema.ts";
import { type Executor, isUniqueViolation } from "./shared.ts";

const unexpired = (now: number) => or(isNull(oidcPayloads.expiresAt), gt(oidcPayloads.expiresAt, now));
const payloadColumns = { id: oidcPayloads.id, payload: oidcPayloads.payload, consumedAt: oidcPayloads.consumedAt };

async function revokeGrants(executor: Executor, grantIds: string[]): Promise<void> {
  if (grantIds.length === 0) return;
  await executor.delete(oidcPayloads).where(inArray(oidcPayloads.grantId, grantIds));
  await executor.delete(oidcGrants).where(inArray(oidcGrants.grantId, grantIds));
}

/** revokeSessions runs this for the sessions it revoked: their apps and oidc-provider sessions end with them. */
export async function endOidcStateOfSessions(executor: Executor, sessionIds: string[]): Promise<void> {
  const grants = await executor.select({ grantId: oidcGrants.grantId }).from(oidcGrants).where(inArray(oidcGrants.sessionId, sessionIds));
  await revokeGrants(
    executor,
    grants.map((row) => row.grantId),
  );
  const links = await executor.delete(oidcSessionLinks).where(inArray(oidcSessionLinks.sessionId, sessionIds)).returning({ uid: oidcSessionLinks.uid });
  if (links.length > 0)
    await executor.delete(oidcPayloads).where(
      and(
        eq(oidcPayloads.model, "Session"),
        inArray(
          oidcPayloads.uid,
          links.map((row) => row.uid),
        ),
      ),
    );
}

export function postgresOidc(db: PostgresDb): Store["oidc"] {
  const first = <T>(rows: T[]): T | null => rows[0] ?? null;
  return {
    upsert: async (model, id, row) => {
      await db
        .insert(oidcPayloads)
        .values({ model, id, ...row })
        .onConflictDoUpdate({ target: [oidcPayloads.model, oidcPayloads.id], set: row });
    },
    find: async (model, id, now) =>
      first(
        await db
          .select(payloadColumns)
          .from(oidcPayloads)
          .where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, id), unexpired(now))),
      ),
    findBy: async (model, by, now) =>
      first(
        await db
          .select(payloadColumns)
          .from(oidcPayloads)
          .where(and(eq(oidcPayloads.model, model), "uid" in by ? eq(oidcPayloads.uid, by.uid) : eq(oidcPayloads.userCode, by.userCode), unexpired(now)))
          .limit(1),
      ),
    consume: async (model, id, now) => {
      await db
        .update(oidcPayloads)
        .set({ consumedAt: now })
        .where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, id)));
    },
    destroy: async (model, id) => {
      await db.delete(oidcPayloads).where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, id)));
    },
    revokeGrant: async (grantId) => db.transaction((tx) => revokeGrants(tx, [grantId])),
    linkGrant: async (link) => {
      await db
        .insert(oidcGrants)
        .values(link)
        .onConflictDoUpdate({ target: oidcGrants.grantId, set: { sessionId: link.sessionId } });
    },
    linkSession: async (uid, sessionId) => {
      await db.insert(oidcSessionLinks).values({ uid, sessionId }).onConflictDoUpdate({ target: oidcSessionLinks.uid, set: { sessionId } });
    },
    sessionOfGrant: async (grantId) =>
      first(await db.select({ sessionId: oidcGrants.sessionId }).from(oidcGrants).where(eq(oidcGrants.grantId, grantId)))?.sessionId ?? null,
    sessionOfProviderSession: async (uid) =>
      first(await db.select({ sessionId: oidcSessionLinks.sessionId }).from(oidcSessionLinks).where(eq(oidcSessionLinks.uid, uid)))?.sessionId ?? null,
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
        .orderBy(desc(oidcGrants.createdAt)),
    clients: {
      insert: async (client) => {
        try {
          await db.insert(oidcClients).values(toClientRow(client));
          return true;
        } catch (error) {
          if (isUniqueViolation(error, "oidc_clients_pkey")) return false;
          throw error;
        }
      },
      find: async (clientId) => {
        const row = first(await db.select().from(oidcClients).where(eq(oidcClients.clientId, clientId)));
        return row ? fromClientRow(row) : null;
      },
      list: async () => (await db.select().from(oidcClients).orderBy(oidcClients.createdAt)).map(fromClientRow),
      delete: async (clientId) =>
        db.transaction(async (tx) => {
          const grants = await tx.select({ grantId: oidcGrants.grantId }).from(oidcGrants).where(eq(oidcGrants.clientId, clientId));
          await revokeGrants(
            tx,
            grants.map((row) => row.grantId),
          );
          const deleted = await tx.delete(oidcClients).where(eq(oidcClients.clientId, clientId)).returning({ clientId: oidcClients.clientId });
          return deleted.length === 1;
        }),
    },
  };
}

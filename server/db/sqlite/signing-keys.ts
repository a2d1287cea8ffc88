// Signing keys on SQLite: the list, and a rotation that only the instance still holding the
// current key can make.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { SqliteDb } from "../client.ts";
import { signingKeys } from "../schema.ts";
import type { Store } from "../store.ts";
import { p, WRITER } from "./shared.ts";

export function sqliteSigningKeys(db: SqliteDb): Store["signingKeys"] {
  const list = db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).prepare();
  const insert = db
    .insert(signingKeys)
    .values({
      kid: p("kid"),
      alg: p("alg"),
      publicJwk: p("publicJwk"),
      privateJwkEncrypted: p("privateJwkEncrypted"),
      createdAt: p("createdAt"),
      retiredAt: p("retiredAt"),
      revokedAt: p("revokedAt"),
    })
    .prepare();
  const revoke = db
    .update(signingKeys)
    .set({ retiredAt: sql`coalesce(${signingKeys.retiredAt}, ${p("now")})`, revokedAt: sql`${p("now")}` })
    .where(and(eq(signingKeys.kid, p("kid")), isNull(signingKeys.revokedAt)))
    .prepare();
  const current = db.select({ kid: signingKeys.kid }).from(signingKeys).where(isNull(signingKeys.retiredAt)).prepare();
  const retire = db
    .update(signingKeys)
    .set({ retiredAt: sql`${p("retiredAt")}` })
    .where(and(eq(signingKeys.kid, p("kid")), isNull(signingKeys.retiredAt)))
    .prepare();

  return {
    list: async () => list.all(),
    insertIfNoneCurrent: async (key) =>
      db.transaction(() => {
        if (current.get()) return false;
        insert.run(key);
        return true;
      }, WRITER),
    rotate: async ({ currentKid, retiredAt, next }) =>
      db.transaction(() => {
        if (retire.run({ kid: currentKid, retiredAt }).changes !== 1) return false;
        insert.run(next);
        return true;
      }),
    revoke: async (kid, now) => revoke.run({ kid, now }).changes === 1,
  };
}

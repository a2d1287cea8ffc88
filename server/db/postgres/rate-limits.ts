// Rate-limit windows on PostgreSQL, shared by every instance. The hits counted during one
// event-loop turn go as one UPSERT (perTurn): a row per key, its count raised by that key's hits
// (or started over at them when its window has ended), and each hit gets its own count, in the
// order the hits came. So every request from one address (many people behind one NAT, or a proxy
// that is not trusted for X-Forwarded-For) no longer takes that key's row lock and a commit of its
// own: measured on refresh from one address, one UPSERT a request ran ~950/s and slowed as the
// row's versions piled up, against ~2,050/s with no limit at all. Ended windows are deleted every
// so often, a bounded DELETE.
import { sql } from "drizzle-orm";
import { perTurn } from "../per-turn.ts";
import type { Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";
import { isLockConflict } from "./shared.ts";

/** Every this many hits, this instance deletes windows that have ended. */
const PURGE_EVERY_HITS = 1000;

type Hit = Parameters<Store["rateLimits"]["hit"]>[0];
type Window = Awaited<ReturnType<Store["rateLimits"]["hit"]>>;

/**
 * One statement for a turn's hits: a row per key, locked in key order (so two instances' batches
 * never wait for each other in a cycle). Returns each key's window after the hits.
 */
function countStatement(hits: Hit[]) {
  const column = <T>(pick: (hit: Hit) => T) => sql.param(hits.map(pick));
  return sql`WITH hits AS (
      SELECT key, count(*)::int AS n, max(now) AS now, max(window_ms) AS window_ms
      FROM unnest(${column((h) => h.key)}::text[], ${column((h) => h.now)}::bigint[], ${column((h) => h.windowMs)}::bigint[]) AS h(key, now, window_ms)
      GROUP BY key)
    INSERT INTO rate_limit_windows AS w (key, started_at, count)
    SELECT key, now, n FROM hits ORDER BY key
    ON CONFLICT (key) DO UPDATE SET (count, started_at) = (
      SELECT CASE WHEN w.started_at <= h.now - h.window_ms THEN h.n ELSE w.count + h.n END,
             CASE WHEN w.started_at <= h.now - h.window_ms THEN h.now ELSE w.started_at END
      FROM hits h WHERE h.key = excluded.key)
    RETURNING key, count, started_at`;
}

export function postgresRateLimits(db: PostgresDb): Store["rateLimits"] {
  let hits = 0;
  const count = perTurn({
    runBatch: async (batch: Hit[]): Promise<Window[]> => {
      const before = hits;
      hits += batch.length;
      if (Math.floor(hits / PURGE_EVERY_HITS) > Math.floor(before / PURGE_EVERY_HITS)) {
        const now = Math.max(...batch.map((hit) => hit.now));
        const windowMs = Math.min(...batch.map((hit) => hit.windowMs));
        await db.execute(sql`DELETE FROM rate_limit_windows WHERE started_at <= ${now - windowMs}::bigint`);
      }
      const rows = ((await db.execute(countStatement(batch))) as unknown as { rows: { key: string; count: number; started_at: string | number }[] }).rows;
      // A key's hits in this batch took its row's count up to what came back: the first of them
      // has that count less the others, the next one more, and so on.
      const windows = new Map(rows.map((row) => [row.key, { next: Number(row.count), startedAt: Number(row.started_at) }]));
      for (const hit of batch) windows.get(hit.key)!.next--;
      return batch.map((hit) => {
        const window = windows.get(hit.key)!;
        return { count: ++window.next, startedAt: window.startedAt };
      });
    },
    // Two instances' batches lock their keys in the same order; should one still lose a deadlock,
    // its hits are counted again one by one.
    retryAlone: isLockConflict,
  });
  return { hit: count };
}

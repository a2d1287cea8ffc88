// Rate-limit windows on PostgreSQL, shared by every instance: one UPSERT counts a hit (starting a
// new window when the last has ended) and returns the count, so a limit holds whichever instance
// each attempt reaches. Ended windows are deleted every so often, a bounded DELETE.
import { sql } from "drizzle-orm";
import type { Store } from "../store.ts";
import type { PostgresDb } from "./client.ts";

/** Every this many hits, this instance deletes windows that have ended. */
const PURGE_EVERY_HITS = 1000;

export function postgresRateLimits(db: PostgresDb): Store["rateLimits"] {
  let hits = 0;
  return {
    hit: async ({ key, now, windowMs }) => {
      if (++hits % PURGE_EVERY_HITS === 0) await db.execute(sql`DELETE FROM rate_limit_windows WHERE started_at <= ${now - windowMs}::bigint`);
      const ended = sql`rate_limit_windows.started_at <= ${now - windowMs}::bigint`;
      const result = await db.execute(sql`
        INSERT INTO rate_limit_windows (key, started_at, count) VALUES (${key}::text, ${now}::bigint, 1)
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN ${ended} THEN 1 ELSE rate_limit_windows.count + 1 END,
          started_at = CASE WHEN ${ended} THEN ${now}::bigint ELSE rate_limit_windows.started_at END
        RETURNING count, started_at`);
      const row = (result as unknown as { rows: { count: number; started_at: string | number }[] }).rows[0]!;
      return { count: Number(row.count), startedAt: Number(row.started_at) };
    },
  };
}

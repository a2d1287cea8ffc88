// The scheduled purge: every PURGE_INTERVAL_MS each instance deletes what has ended (sessions past
// their absolute expiry with their refresh tokens, expired challenges and recovery grants, audit
// events older than AUDIT_RETENTION_DAYS), at most PURGE_BATCH rows per table per run, so the
// tables stay bounded by what is live and a run never holds the database long.
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { PurgeCounts, Store } from "./db/store.ts";
import { errorFields, type Logger } from "./logger.ts";

export const PURGE_INTERVAL_MS = 60_000;
export const PURGE_BATCH = 1000;
const DAY_MS = 86_400_000;

export interface PurgeDeps {
  store: Store;
  clock: Clock;
  config: Pick<Config, "auditRetentionDays">;
}

/** One bounded run. */
export async function purgeExpired(deps: PurgeDeps, limit = PURGE_BATCH): Promise<PurgeCounts> {
  const now = deps.clock.now().getTime();
  const auditBefore = deps.config.auditRetentionDays === 0 ? null : now - deps.config.auditRetentionDays * DAY_MS;
  return deps.store.maintenance.purge({ now, auditBefore, limit });
}

/** Runs purgeExpired every PURGE_INTERVAL_MS (first run at once); returns what stops it. */
export function schedulePurge(deps: PurgeDeps & { log: Logger }): () => void {
  let running = false;
  const run = async () => {
    if (running) return; // a slow run is never doubled up
    running = true;
    try {
      const purged = await purgeExpired(deps);
      if (Object.values(purged).some((n) => n > 0)) deps.log({ level: "info", msg: "purged ended rows", ...purged });
    } catch (error) {
      deps.log({ level: "error", msg: "purge failed", ...errorFields(error) });
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(() => void run(), PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

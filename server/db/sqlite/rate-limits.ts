// Rate-limit windows for SQLite: one process owns a SQLite file, so its counts live in that
// process's memory, bounded in size (no write per request).
import type { Store } from "../store.ts";

/** Past this many tracked keys, windows that have ended are dropped. */
const MAX_TRACKED_KEYS = 10_000;

export function memoryRateLimits(): Store["rateLimits"] {
  const windows = new Map<string, { startedAt: number; count: number }>();
  // The map's order is recency: each hit moves its key to the end, so the first key is the one
  // least recently hit. A flood of fresh keys then pushes out idle windows, never one in use.
  const evict = (now: number, windowMs: number) => {
    for (const [key, window] of windows) if (now - window.startedAt >= windowMs) windows.delete(key);
    // Still full: forget the least recently hit window rather than grow without bound.
    if (windows.size >= MAX_TRACKED_KEYS) windows.delete(windows.keys().next().value!);
  };
  return {
    hit: async ({ key, now, windowMs }) => {
      let window = windows.get(key);
      windows.delete(key);
      if (!window || now - window.startedAt >= windowMs) {
        if (windows.size >= MAX_TRACKED_KEYS) evict(now, windowMs);
        window = { startedAt: now, count: 0 };
      }
      windows.set(key, window);
      window.count += 1;
      return { count: window.count, startedAt: window.startedAt };
    },
  };
}

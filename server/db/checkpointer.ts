// WAL checkpoints off the event loop. By default SQLite checkpoints inside the commit that grows
// the WAL past 1000 pages: that call copies the pages into the database file and fsyncs it, and
// better-sqlite3 being synchronous, every request waits. So the server's connection turns them
// off and a worker thread runs them on a connection of its own (server/db/checkpoint-worker.mjs).
// Measured here on refresh rotations written back to back in process: 1.7-1.9k/s with p99
// 17-20 ms inline, 2.5-2.6k/s with p99 1.5 ms this way. The price: restarting the log holds
// writers for a few milliseconds (the pages the last pass left, and a sync); the refresh path's
// group commit (sqlite/group-commit.ts) waits for that outside SQLite, so the event loop never
// sleeps in SQLite's busy handler. Durability is unchanged: a commit is as durable as
// synchronous=NORMAL makes it before any checkpoint runs.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { PROJECT_ROOT } from "../paths.ts";

const WORKER_PATH = join(PROJECT_ROOT, "server/db/checkpoint-worker.mjs");
/** How often the worker copies what the WAL holds into the database file. */
export const CHECKPOINT_INTERVAL_MS = 100;
/**
 * A WAL this long (in pages; 32 MiB of 4 KiB pages) is restarted from its beginning, briefly
 * holding writers, so that steady writes cannot grow it without bound: about once a second of
 * refreshes at 1,200/s here, where SQLite's own checkpoints held them every 1000 pages.
 */
export const RESTART_WAL_AT_FRAMES = 8192;

export interface CheckpointerOptions {
  path: string;
  busyTimeoutMs: number;
  restartWalAtFrames?: number;
  onError(message: string): void;
  /** The worker ended without being stopped: its connection's checkpoints are no longer done. */
  onUnexpectedExit(): void;
}

export interface Checkpointer {
  /** Stops the worker and closes its connection; resolves however the worker ended. */
  stop(): Promise<void>;
}

export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const worker = new Worker(WORKER_PATH, {
    workerData: {
      path: options.path,
      intervalMs: CHECKPOINT_INTERVAL_MS,
      restartAtFrames: options.restartWalAtFrames ?? RESTART_WAL_AT_FRAMES,
      busyTimeoutMs: options.busyTimeoutMs,
    },
  });
  let stopping = false;
  worker.on("message", (message: { type: "error"; message: string }) => options.onError(message.message));
  worker.on("error", (error: unknown) => options.onError(error instanceof Error && error.message ? error.message : String(error)));
  // Not events.once: it rejects on "error", and stopping must neither hang nor throw.
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      if (!stopping) options.onUnexpectedExit();
      resolve();
    }),
  );
  worker.unref(); // never what keeps the process alive
  return {
    async stop() {
      stopping = true;
      worker.ref(); // an awaited exit alone would not keep the process alive until it comes
      worker.postMessage("stop");
      await exited;
    },
  };
}

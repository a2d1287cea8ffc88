// Opens the SQLite database with the pragmas the platform relies on and applies migrations.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { MIGRATIONS_FOLDER } from "../paths.ts";
import { RESTART_WAL_AT_FRAMES, startCheckpointer, type Checkpointer } from "./checkpointer.ts";
import * as schema from "./schema.ts";

export type SqliteDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const BUSY_TIMEOUT_MS = 5000;
const PAGE_BYTES = 4096;
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

export interface OpenedDatabase {
  sqlite: Database.Database;
  db: SqliteDb;
  /** Closes the database (after the checkpointer, when there is one: this connection closes last). */
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Checkpoint the WAL on a worker thread instead of inside commits (server/db/checkpointer.ts):
   * what the long-running server wants. Short-lived tools keep SQLite's own checkpoints.
   */
  backgroundCheckpoints?: { onError(message: string): void; restartWalAtFrames?: number };
}

export function openDatabase(path: string, options: OpenOptions = {}): OpenedDatabase {
  const onDisk = path !== ":memory:";
  if (onDisk) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  // WAL lets readers run beside the writer. synchronous=NORMAL in WAL mode never corrupts the
  // database; a power loss (not a process crash) may lose the last commits before a checkpoint.
  if (onDisk) sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle({ client: sqlite, schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });

  let checkpointer: Checkpointer | null = null;
  const background = options.backgroundCheckpoints;
  if (onDisk && background) {
    const restartWalAtFrames = background.restartWalAtFrames ?? RESTART_WAL_AT_FRAMES;
    sqlite.pragma("wal_autocheckpoint = 0");
    // When the log starts over, its file is cut back to this size rather than kept at its peak
    // after a burst. Twice the restart length: in steady writes the log restarts at a little over
    // that length, and cutting the file each time (freeing, on a disk mounted with discard,
    // trimming its blocks) stalled the first commit after the restart by up to 340 ms here.
    sqlite.pragma(`journal_size_limit = ${2 * restartWalAtFrames * PAGE_BYTES}`);
    checkpointer = startCheckpointer({
      path,
      busyTimeoutMs: BUSY_TIMEOUT_MS,
      restartWalAtFrames,
      onError: background.onError,
      onUnexpectedExit: () => {
        // Without the worker nobody would checkpoint and the WAL would grow for ever.
        if (!sqlite.open) return;
        sqlite.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
        background.onError("the WAL checkpointer stopped; SQLite checkpoints inside commits again");
      },
    });
  }
  return {
    sqlite,
    db,
    close() {
      // The last connection to close checkpoints what is left and removes the WAL file. Without a
      // checkpointer there is nothing to wait for: closed before this returns.
      if (!checkpointer) {
        sqlite.close();
        return Promise.resolve();
      }
      return checkpointer.stop().then(() => {
        sqlite.close();
      });
    },
  };
}

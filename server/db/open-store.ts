// openStore(config): the only place that opens a database. The server, the command-line tools,
// the bench and the test harness all come through here, so the engine and its setup (pragmas,
// migrations, background checkpoints, the pool) are chosen once, from DATABASE_URL.
import type Database from "better-sqlite3";
import type { Config } from "../config.ts";
import { openDatabase } from "./client.ts";
import { openPostgres } from "./postgres/client.ts";
import { createPostgresStore } from "./postgres/store.ts";
import { createSqliteStore } from "./sqlite/store.ts";
import type { Store } from "./store.ts";

export interface OpenedStore {
  store: Store;
  engine: Config["database"]["engine"];
  /** Where the data is, for messages to the person running a tool (never holds a password). */
  location: string;
  /**
   * The SQLite connection itself, for the tests' engine-neutral row reader (checks of data at
   * rest); null on other engines. Product code uses `store` only.
   */
  sqlite: Database.Database | null;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** A long-running server: SQLite checkpoints its WAL on a worker thread (db/checkpointer.ts), errors reported here. */
  backgroundWork?: { onError(message: string): void };
}

export async function openStore(config: Pick<Config, "database">, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  if (config.database.engine === "postgres") {
    const opened = await openPostgres(config.database.url);
    const url = new URL(config.database.url);
    return {
      store: createPostgresStore(opened.db),
      engine: "postgres",
      location: `PostgreSQL database "${url.pathname.slice(1)}" on ${url.hostname || "localhost"}`,
      sqlite: null,
      close: opened.close,
    };
  }
  const database = openDatabase(config.database.path, { backgroundCheckpoints: options.backgroundWork });
  return { store: createSqliteStore(database.db), engine: "sqlite", location: config.database.path, sqlite: database.sqlite, close: () => database.close() };
}

// Opens the SQLite database with the pragmas the platform relies on and applies migrations.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { MIGRATIONS_FOLDER } from "../paths.ts";
import * as schema from "./schema.ts";

export type SqliteDb = BetterSQLite3Database<typeof schema>;

const BUSY_TIMEOUT_MS = 5000;

export interface OpenedDatabase {
  sqlite: Database.Database;
  db: SqliteDb;
  close(): void;
}

export function openDatabase(path: string): OpenedDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  // WAL lets readers run beside the writer. synchronous=NORMAL in WAL mode never corrupts the
  // database; a power loss (not a process crash) may lose the last commits before a checkpoint.
  if (path !== ":memory:") sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle({ client: sqlite, schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return { sqlite, db, close: () => sqlite.close() };
}

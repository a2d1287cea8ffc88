// What tests read and write beneath the API, the same way on either engine: rows of a table
// (snake_case columns, as stored; integers as numbers), and the odd statement valid on both
// that sets up what a test cannot wait for (a sign-in made minutes ago). Security checks on data
// at rest (no token stored in the clear) read rows here; everything else goes through the store
// or over HTTP.
import type Database from "better-sqlite3";
import pg from "pg";

export interface TestDatabase {
  engine: "sqlite" | "postgres";
  /** Every row of `table`, in `orderBy` order (an SQL ORDER BY list) when given. */
  rows(table: string, orderBy?: string): Promise<Record<string, unknown>[]>;
  /** A statement both engines accept. */
  execute(statement: string): Promise<void>;
  /** The application's tables. */
  tables(): Promise<string[]>;
  close(): Promise<void>;
}

const INT8_OID = 20;

export function sqliteTestDatabase(sqlite: Database.Database): TestDatabase {
  return {
    engine: "sqlite",
    rows: async (table, orderBy) => sqlite.prepare(`SELECT * FROM "${table}"${orderBy ? ` ORDER BY ${orderBy}` : ""}`).all() as Record<string, unknown>[],
    execute: async (statement) => void sqlite.exec(statement),
    tables: async () =>
      (
        sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'").all() as {
          name: string;
        }[]
      ).map((row) => row.name),
    close: async () => undefined,
  };
}

export async function postgresTestDatabase(url: string): Promise<TestDatabase> {
  const client = new pg.Client({
    connectionString: url,
    // Times and ids are bigint: read them as numbers, as the SQLite driver does.
    types: {
      getTypeParser: (oid: number, format?: string) => (oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")),
    },
  });
  await client.connect();
  return {
    engine: "postgres",
    rows: async (table, orderBy) => (await client.query(`SELECT * FROM "${table}"${orderBy ? ` ORDER BY ${orderBy}` : ""}`)).rows,
    execute: async (statement) => void (await client.query(statement)),
    tables: async () =>
      (await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).rows.map(
        (row: { tablename: string }) => row.tablename,
      ),
    close: () => client.end(),
  };
}

// Opens PostgreSQL: a connection pool, drizzle over it, and the migrations applied at start under
// an advisory lock, so instances starting together migrate exactly once.
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { POSTGRES_MIGRATIONS_FOLDER } from "../../paths.ts";
import * as schema from "./schema.ts";

export type PostgresDb = NodePgDatabase<typeof schema>;

/** Any constant both sides agree on: the key of the advisory lock held while migrating. */
const MIGRATION_LOCK_KEY = 0x70617373; // "pass"
/** Connections per instance: refresh and sign-in are a round trip or a short transaction each. */
const POOL_SIZE = 10;

export interface OpenedPostgres {
  db: PostgresDb;
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function openPostgres(url: string): Promise<OpenedPostgres> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  // An idle connection the server dropped must not take the process down; the pool replaces it.
  pool.on("error", () => undefined);
  const db = drizzle({ client: pool, schema });
  const client = await pool.connect();
  try {
    // Session-level lock on one connection: a second instance waits here until the first has
    // migrated, then finds nothing left to apply.
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle({ client, schema }), { migrationsFolder: POSTGRES_MIGRATIONS_FOLDER });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return { db, pool, close: () => pool.end() };
}

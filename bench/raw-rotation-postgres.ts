// Baseline: one refresh-token rotation as a raw PostgreSQL transaction (look up the token, mark
// it used, insert its successor, touch the session), the storage floor of POST /auth/refresh on
// PostgreSQL, with `concurrency` clients at once. Measured with node-postgres (pg, what the store
// uses) and with postgres.js, to keep the faster driver.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import postgres from "postgres";

const SESSIONS_PER_CLIENT = 5;
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/** One client's rotation: `run(sql, params)` sends one statement and returns its rows. */
type Run = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

interface Driver {
  /** A client holding one connection, running statements in order. */
  client(): Promise<{ run: Run; transaction<T>(work: (run: Run) => Promise<T>): Promise<T>; end(): Promise<void> }>;
}

const drivers: Record<"pg" | "postgres.js", (url: string) => Driver> = {
  pg: (url) => ({
    client: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      let named = 0;
      const names = new Map<string, string>();
      // Named statements: prepared once per connection, as the store's hot statements are.
      const run: Run = async (text, params) => {
        let name = names.get(text);
        if (!name) {
          name = `raw_${++named}`;
          names.set(text, name);
        }
        return (await client.query({ name, text, values: params })).rows;
      };
      return {
        run,
        transaction: async (work) => {
          await client.query("BEGIN");
          try {
            const result = await work(run);
            await client.query("COMMIT");
            return result;
          } catch (error) {
            await client.query("ROLLBACK");
            throw error;
          }
        },
        end: () => client.end(),
      };
    },
  }),
  "postgres.js": (url) => ({
    client: async () => {
      // postgres.js takes a Unix socket as `path` (the socket file), not as ?host=folder.
      const parsed = new URL(url);
      const socketDir = parsed.searchParams.get("host");
      const sql = postgres({
        ...(socketDir ? { path: `${socketDir}/.s.PGSQL.${parsed.port || 5432}` } : { host: parsed.hostname, port: Number(parsed.port || 5432) }),
        database: parsed.pathname.slice(1),
        username: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password) || undefined,
        max: 1,
        prepare: true,
        onnotice: () => undefined,
      });
      const runOn =
        (target: postgres.Sql | postgres.TransactionSql): Run =>
        async (text, params) =>
          (await target.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as Record<string, unknown>[];
      return {
        run: runOn(sql),
        transaction: async (work) => (await sql.begin((tx) => work(runOn(tx)))) as never,
        end: () => sql.end(),
      };
    },
  }),
};

/** Rotations per second for `seconds`, `concurrency` clients each rotating its own sessions' tokens. */
export async function measureRawPostgresRotation(options: {
  url: string;
  driver: "pg" | "postgres.js";
  seconds: number;
  concurrency: number;
}): Promise<number> {
  const admin = new pg.Client({ connectionString: options.url });
  await admin.connect();
  const schema = `raw_${options.driver.replace(/\W/g, "")}_${Date.now().toString(36)}`;
  await admin.query(`CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.sessions (id text PRIMARY KEY, last_used_at bigint NOT NULL, idle_expires_at bigint NOT NULL);
    CREATE TABLE ${schema}.refresh_tokens (id text PRIMARY KEY, session_id text NOT NULL REFERENCES ${schema}.sessions(id), token_hash text NOT NULL UNIQUE,
      parent_id text, created_at bigint NOT NULL, used_at bigint);`);
  const driver = drivers[options.driver](options.url);
  let count = 0;
  const deadline = performance.now() + options.seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        const client = await driver.client();
        try {
          const current: string[] = [];
          for (let i = 0; i < SESSIONS_PER_CLIENT; i++) {
            const id = randomUUID();
            const token = randomBytes(32).toString("base64url");
            await client.run(`INSERT INTO ${schema}.sessions VALUES ($1, $2, $3)`, [id, Date.now(), Date.now()]);
            await client.run(`INSERT INTO ${schema}.refresh_tokens (id, session_id, token_hash, parent_id, created_at) VALUES ($1, $2, $3, NULL, $4)`, [
              randomUUID(),
              id,
              hash(token),
              Date.now(),
            ]);
            current.push(token);
          }
          for (let slot = 0; performance.now() < deadline; slot = (slot + 1) % SESSIONS_PER_CLIENT) {
            await client.transaction(async (run) => {
              const now = Date.now();
              const [row] = await run(
                `SELECT t.id, t.session_id FROM ${schema}.refresh_tokens t JOIN ${schema}.sessions s ON s.id = t.session_id WHERE t.token_hash = $1`,
                [hash(current[slot]!)],
              );
              await run(`UPDATE ${schema}.refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL`, [now, row!.id]);
              const next = randomBytes(32).toString("base64url");
              await run(`INSERT INTO ${schema}.refresh_tokens (id, session_id, token_hash, parent_id, created_at) VALUES ($1, $2, $3, $4, $5)`, [
                randomUUID(),
                row!.session_id,
                hash(next),
                row!.id,
                now,
              ]);
              await run(`UPDATE ${schema}.sessions SET last_used_at = $1, idle_expires_at = $2 WHERE id = $3`, [now, now + 1_209_600_000, row!.session_id]);
              current[slot] = next;
            });
            count++;
          }
        } finally {
          await client.end();
        }
      }),
    );
    return count / options.seconds;
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

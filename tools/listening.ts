// The one way our tools get a port: the process binds port 0 itself and says where it listens.
// Asking the OS for a free port, closing it and handing the number on races with every other
// process on the machine; a listener that picked its own port cannot lose it.
import { type ChildProcess, spawn } from "node:child_process";

const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
/** The first http URL on the line that says "listening". */
const LISTENING_LINE = /listening.*?(http:\/\/[^\s",]+)/i;

export interface ListeningProcess {
  child: ChildProcess;
  /** Where it listens, as it reported it (http://host:port). */
  url: URL;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
}

export interface SpawnOptions {
  args: readonly string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /**
   * Keep what it writes to stdout after its "listening" line (default true; stderr is always kept).
   * A benchmark's server logs a line per request: kept, they grew the load generator's heap by
   * tens of MB.
   */
  retainOutput?: boolean;
}

/**
 * Starts a process that listens on `PORT=0` and resolves once it printed its "listening" line
 * with its URL; rejects with its output if it exits or stays silent past the timeout.
 */
export function spawnListening(options: SpawnOptions): Promise<ListeningProcess> {
  const child = spawn(process.execPath, options.args, { cwd: options.cwd, env: { ...options.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let listening = false;
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${reason}:\n${output}`));
    };
    const timer = setTimeout(
      () => fail(`no "listening" line within ${options.timeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS} ms`),
      options.timeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS,
    );
    const onExit = (code: number | null) => fail(`exited with ${code} before listening`);
    child.once("exit", onExit);
    const retain = options.retainOutput ?? true;
    child.stderr!.on("data", (chunk) => (output += chunk));
    child.stdout!.on("data", (chunk) => {
      if (listening) {
        if (retain) output += chunk;
        return;
      }
      const start = output.length;
      output += chunk;
      const match = LISTENING_LINE.exec(output.slice(Math.max(0, output.lastIndexOf("\n", start) + 1)));
      if (!match) return;
      listening = true;
      clearTimeout(timer);
      child.off("exit", onExit);
      resolve({ child, url: new URL(match[1]!), output: () => output });
    });
  });
}

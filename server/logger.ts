// Structured logs: one JSON object per line. Entries carry ids, routes, statuses and timings;
// never a token, cookie, header value, body or secret (no call site passes one).

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogEntry = { level: LogLevel; msg: string } & Record<string, unknown>;
export type Logger = (entry: LogEntry) => void;

const RANK: Record<LogLevel | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
export const LOG_LEVELS = Object.keys(RANK) as (LogLevel | "silent")[];

/** Writes entries at `minimum` and above as JSON lines to `write` (stdout, a write per event-loop turn, by default). */
export function jsonLogger(minimum: LogLevel | "silent", write: (line: string) => void = bufferedStdout()): Logger {
  const threshold = RANK[minimum];
  return (entry) => {
    if (RANK[entry.level] < threshold) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  };
}

/** An error as loggable fields: its name, message and stack, and those of its cause. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  return {
    error: `${error.name}: ${error.message}`,
    stack: error.stack,
    ...(error.cause === undefined ? {} : { cause: errorFields(error.cause).error }),
  };
}

let stdoutWriter: ((line: string) => void) | undefined;

/**
 * Lines to stdout gathered into one write per turn of the event loop: under load that is one
 * system call for many requests' lines instead of one each. Whatever is pending is written on
 * exit (stdout to a file or pipe is synchronous on Linux, so nothing is lost).
 */
function bufferedStdout(): (line: string) => void {
  if (stdoutWriter) return stdoutWriter;
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const chunk = pending.join("");
    pending = [];
    process.stdout.write(chunk);
  };
  process.on("exit", flush);
  stdoutWriter = (line) => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return stdoutWriter;
}

// The WAL checkpointer's thread (started by server/db/checkpointer.ts): its own connection to the
// database file copies the write-ahead log back into the file, so the server's event loop never
// waits for a checkpoint's page copies and fsyncs. Plain JavaScript: it runs as is from the
// source tree and beside the bundled server alike.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { path, intervalMs, restartAtFrames, busyTimeoutMs } = workerData;
/** PASSIVE passes one tick may make to catch up with the writer before it restarts the log. */
const CATCH_UP_PASSES = 8;
/** Pages new since the last pass few enough for RESTART to copy while it holds writers. */
const FEW_FRAMES = 64;

/** Errors are sent as text: better-sqlite3's error class loses its message crossing threads. */
const report = (error) => parentPort.postMessage({ type: "error", message: `${error?.code ?? "error"}: ${error?.message ?? error}` });

let db;
try {
  db = new Database(path, { fileMustExist: true });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
} catch (error) {
  report(error);
  process.exit(1); // ends this thread; the server goes back to SQLite's own checkpoints
}

/** `PRAGMA wal_checkpoint(MODE)`: frames in the WAL (`log`) and how many are in the file (`checkpointed`). */
const checkpoint = (mode) => db.pragma(`wal_checkpoint(${mode})`)[0];

function tick() {
  try {
    let { log } = checkpoint("PASSIVE");
    if (log < restartAtFrames) return;
    // Long enough to start over. PASSIVE never waits for the writer, and under steady writes it
    // cannot reach the log's end, so the log would never start over by itself; RESTART makes the
    // next write begin it anew, but holds writers while it copies what is left. So passes first
    // copy what came in during the pass before, until one finds only a few new pages: the
    // RESTART that follows holds writers for those pages and a sync, not for a tick's worth.
    for (let pass = 1; pass < CATCH_UP_PASSES; pass++) {
      const next = checkpoint("PASSIVE");
      if (next.log < log) return; // a writer found it all copied and started the log over itself
      const fresh = next.log - log;
      log = next.log;
      if (fresh <= FEW_FRAMES) break;
    }
    checkpoint("RESTART");
  } catch (error) {
    // SQLITE_BUSY past the timeout: the next tick tries again. Anything else the server logs.
    if (error?.code !== "SQLITE_BUSY") report(error);
  }
}

const timer = setInterval(tick, intervalMs);
parentPort.on("message", (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});

// The WAL checkpointer's thread (started by server/db/checkpointer.ts): its own connection to the
// database file copies the write-ahead log back into the file, so the server's event loop never
// waits for a checkpoint's page copies and fsyncs. Plain JavaScript: it runs as is from the
// source tree and beside the bundled server alike.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { path, intervalMs, restartAtFrames, busyTimeoutMs } = workerData;

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
    // PASSIVE never waits for the writer; under steady writes it cannot reach the log's end, so
    // the log would never start over. Past the limit, RESTART makes the next write begin the log
    // anew: it holds writers only while copying what the last PASSIVE left.
    const { log } = checkpoint("PASSIVE");
    if (log >= restartAtFrames) checkpoint("RESTART");
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

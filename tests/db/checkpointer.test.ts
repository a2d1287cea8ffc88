// The WAL checkpointer (server/db/checkpointer.ts) on real database files: commits never
// checkpoint, yet the pages reach the database file, the WAL stays bounded under steady writes,
// and closing leaves no WAL behind.
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { CHECKPOINT_INTERVAL_MS } from "../../server/db/checkpointer.ts";
import { openDatabase, type OpenedDatabase } from "../../server/db/client.ts";

const MB = 1024 * 1024;
let dir: string;
let database: OpenedDatabase | undefined;
let errors: string[];

function open(options: { restartWalAtFrames?: number } = {}) {
  dir = mkdtempSync(join(tmpdir(), "checkpointer-"));
  errors = [];
  const path = join(dir, "auth.db");
  database = openDatabase(path, { backgroundCheckpoints: { onError: (message) => errors.push(message), ...options } });
  database.sqlite.exec("CREATE TABLE filler (v BLOB NOT NULL)");
  return { path, wal: `${path}-wal`, sqlite: database.sqlite };
}

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

async function until(condition: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(20);
  return condition();
}

afterEach(async () => {
  await database?.close();
  database = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("WAL checkpoints on a worker thread", () => {
  it("turns off checkpoints in commits, yet copies committed pages into the database file", async () => {
    const { path, sqlite } = open();
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const insert = sqlite.prepare("INSERT INTO filler (v) VALUES (randomblob(1024))");
    sqlite.transaction(() => {
      for (let i = 0; i < 3000; i++) insert.run();
    })();
    // Only a checkpoint moves pages from the WAL into the file; this connection makes none.
    expect(await until(() => size(path) >= 3 * MB)).toBe(true);
    expect(errors).toEqual([]);
  });

  it("keeps the WAL bounded under steady writes by starting it over", async () => {
    const restartWalAtFrames = 256; // 1 MiB
    const { wal, sqlite } = open({ restartWalAtFrames });
    const insert = sqlite.prepare("INSERT INTO filler (v) VALUES (randomblob(4000))");
    const writeBatch = sqlite.transaction(() => {
      for (let i = 0; i < 16; i++) insert.run(); // 64 KiB a commit
    });
    let largestWal = 0;
    // ~13 MB/s for 2 s: never a pause long enough for a PASSIVE checkpoint to reach the log's end.
    for (let commits = 0; commits < 400; commits++) {
      writeBatch();
      largestWal = Math.max(largestWal, size(wal));
      await sleep(5);
    }
    expect(sqlite.prepare("SELECT count(*) AS n FROM filler").get()).toEqual({ n: 6400 }); // 25 MB written
    expect(largestWal).toBeLessThan(8 * MB);
    expect(errors).toEqual([]);
  });

  it("stops the worker when the database closes, leaving no WAL behind", async () => {
    const { wal, sqlite } = open();
    sqlite.prepare("INSERT INTO filler (v) VALUES (randomblob(1024))").run();
    expect(size(wal)).toBeGreaterThan(0);
    await database!.close();
    database = undefined;
    // A worker still checkpointing would open the database again and bring its WAL back.
    await sleep(5 * CHECKPOINT_INTERVAL_MS);
    expect([existsSync(wal), existsSync(wal.replace(/-wal$/, "-shm"))]).toEqual([false, false]);
  });

  it("hands checkpoints back to SQLite when the worker cannot run", async () => {
    const { path, sqlite } = open();
    renameSync(path, `${path}.moved`); // before the worker thread has started: it finds no file
    expect(await until(() => errors.some((message) => message.includes("checkpointer stopped")))).toBe(true);
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
  });
});

// Group commit (server/db/sqlite/group-commit.ts) on a real database file, watched from a second
// connection: the steps of one event-loop turn are committed together, each before its caller
// hears back, and a step that throws takes neither its writes nor the other steps with it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type OpenedDatabase } from "../../server/db/client.ts";
import { groupCommit } from "../../server/db/sqlite/group-commit.ts";

let dir: string;
let database: OpenedDatabase;
let observer: Database.Database;

function open() {
  dir = mkdtempSync(join(tmpdir(), "group-commit-"));
  const path = join(dir, "auth.db");
  database = openDatabase(path);
  database.sqlite.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)");
  observer = new Database(path, { readonly: true });
  const insert = database.sqlite.prepare("INSERT INTO notes (text) VALUES (?)");
  const seenByOthers = () => (observer.prepare("SELECT text FROM notes ORDER BY id").all() as { text: string }[]).map((row) => row.text);
  return { commit: groupCommit(database.sqlite), insert, seenByOthers };
}

afterEach(async () => {
  observer?.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("group commit", () => {
  it("commits the steps asked for in one turn in one transaction, before any of them is answered", async () => {
    const { commit, insert, seenByOthers } = open();
    const seenDuring: string[][] = [];
    const steps = ["a", "b", "c"].map((text) =>
      commit(() => {
        insert.run(text);
        seenDuring.push(seenByOthers());
        return text.toUpperCase();
      }),
    );
    expect(seenByOthers()).toEqual([]); // nothing runs until the turn ends
    const answered = await Promise.all(steps.map((step) => step.then((value) => ({ value, committed: seenByOthers() }))));
    // While the batch ran, another connection saw none of it: one transaction, not three.
    expect(seenDuring).toEqual([[], [], []]);
    // Every caller hears back only once all three are durable.
    expect(answered).toEqual(["A", "B", "C"].map((value) => ({ value, committed: ["a", "b", "c"] })));
  });

  it("rolls back a step that throws, alone: the others of its turn are committed and answered", async () => {
    const { commit, insert, seenByOthers } = open();
    const results = await Promise.allSettled([
      commit(() => insert.run("kept").changes),
      commit(() => {
        insert.run("half-done");
        insert.run("kept"); // UNIQUE violation: this step's first write must go too
      }),
      commit(() => insert.run("also kept").changes),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE" });
    expect(seenByOthers()).toEqual(["kept", "also kept"]);
  });

  it("rolls back a step alone in its turn that throws (it runs without a savepoint): none of its writes is committed", async () => {
    const { commit, insert, seenByOthers } = open();
    await commit(() => insert.run("kept"));
    const alone = commit(() => {
      insert.run("half-done");
      insert.run("kept"); // UNIQUE violation
    });
    await expect(alone).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE" });
    expect(seenByOthers()).toEqual(["kept"]);
    expect(database.sqlite.inTransaction).toBe(false);
    expect(await commit(() => insert.run("next").changes)).toBe(1);
    expect(seenByOthers()).toEqual(["kept", "next"]);
  });

  it("rejects a step alone in its turn whose transaction cannot begin in the busy timeout, without running it", async () => {
    const { insert, seenByOthers } = open();
    database.sqlite.pragma("busy_timeout = 50");
    const commit = groupCommit(database.sqlite);
    const writer = new Database(join(dir, "auth.db"));
    writer.exec("BEGIN IMMEDIATE");
    let ran = false;
    try {
      const alone = commit(() => {
        ran = true;
        return insert.run("x");
      });
      await expect(alone).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    } finally {
      writer.exec("ROLLBACK");
      writer.close();
    }
    expect(ran).toBe(false);
    expect(seenByOthers()).toEqual([]);
  });

  it("starts a new batch for steps asked for after a turn's commit", async () => {
    const { commit, insert, seenByOthers } = open();
    await commit(() => insert.run("first"));
    const seenBySecond = await commit(() => {
      insert.run("second");
      return seenByOthers();
    });
    expect(seenBySecond).toEqual(["first"]); // the first turn's step was committed on its own
    expect(seenByOthers()).toEqual(["first", "second"]);
  });

  it("rejects every step of a batch whose transaction cannot begin in the connection's busy timeout, and writes none of them", async () => {
    const { insert, seenByOthers } = open();
    database.sqlite.pragma("busy_timeout = 50");
    const commit = groupCommit(database.sqlite); // waits for the lock as long as its connection would
    const writer = new Database(join(dir, "auth.db"));
    writer.exec("BEGIN IMMEDIATE"); // another process holds the write lock, past that timeout
    try {
      const results = await Promise.allSettled([commit(() => insert.run("x")), commit(() => insert.run("y"))]);
      expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
      expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: "SQLITE_BUSY" });
    } finally {
      writer.exec("ROLLBACK");
      writer.close();
    }
    expect(seenByOthers()).toEqual([]);
    expect(await commit(() => insert.run("z").changes)).toBe(1); // and the next turn works again
  });

  it("leaves its connection's busy timeout as it found it, for every other write, whether or not a batch met a taken lock", async () => {
    const { commit, insert } = open();
    const busyTimeout = () => database.sqlite.pragma("busy_timeout", { simple: true });
    expect(busyTimeout()).toBe(5000); // openDatabase's
    await commit(() => insert.run("free"));
    expect(busyTimeout()).toBe(5000);
    const writer = new Database(join(dir, "auth.db"));
    writer.exec("BEGIN IMMEDIATE");
    const waiting = commit(() => insert.run("after a wait"));
    await new Promise((resolve) => setTimeout(resolve, 20)); // it has met the lock at least once
    expect(busyTimeout()).toBe(5000);
    writer.exec("COMMIT");
    writer.close();
    await waiting;
    expect(busyTimeout()).toBe(5000);
  });

  it("waits for a write lock taken elsewhere without holding up the event loop, then commits", async () => {
    const { commit, insert, seenByOthers } = open(); // busy timeout 5 s, as the server's
    const writer = new Database(join(dir, "auth.db"));
    writer.exec("BEGIN IMMEDIATE"); // the checkpointer restarting the WAL, or another process writing
    const order: string[] = [];
    const first = commit(() => insert.run("first")).then(() => order.push("first committed"));
    // Inside SQLite's busy handler the whole event loop would sleep until the lock came free:
    // these timers would fire only after the commit.
    const ticks = (async () => {
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      order.push("event loop ran");
    })();
    await ticks;
    const second = commit(() => insert.run("second")).then(() => order.push("second committed")); // joins the waiting batch
    writer.exec("COMMIT");
    writer.close();
    await Promise.all([first, second]);
    expect(order).toEqual(["event loop ran", "first committed", "second committed"]);
    expect(seenByOthers()).toEqual(["first", "second"]);
  });
});

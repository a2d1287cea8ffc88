// Baseline: one refresh-token rotation as a raw better-sqlite3 transaction (look up the token,
// mark it used, insert its successor, touch the session), the storage floor of POST /auth/refresh.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

const SESSIONS = 50;
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * Rotations per second for `seconds`, with the given synchronous level (WAL mode). `checkpoints:
 * "none"` turns off SQLite's checkpoints inside commits, as our server does (it runs them on
 * another thread), to show the transaction alone.
 */
export function measureRawRotation(options: { seconds: number; synchronous: "NORMAL" | "FULL"; checkpoints?: "inline" | "none" }): number {
  const dir = mkdtempSync(join(tmpdir(), "bench-raw-"));
  const db = new Database(join(dir, "raw.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous}`);
    if (options.checkpoints === "none") db.pragma("wal_autocheckpoint = 0");
    db.exec(`
      CREATE TABLE sessions (id TEXT PRIMARY KEY, last_used_at INTEGER NOT NULL, idle_expires_at INTEGER NOT NULL);
      CREATE TABLE refresh_tokens (id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id), token_hash TEXT NOT NULL UNIQUE,
        parent_id TEXT, created_at INTEGER NOT NULL, used_at INTEGER);`);
    const find = db.prepare("SELECT t.id, t.session_id, t.used_at FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = ?");
    const markUsed = db.prepare("UPDATE refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL");
    const insert = db.prepare("INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at) VALUES (?, ?, ?, ?, ?)");
    const touch = db.prepare("UPDATE sessions SET last_used_at = ?, idle_expires_at = ? WHERE id = ?");
    const current: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const id = randomUUID();
      db.prepare("INSERT INTO sessions VALUES (?, ?, ?)").run(id, Date.now(), Date.now());
      const token = randomBytes(32).toString("base64url");
      insert.run(randomUUID(), id, hash(token), null, Date.now());
      current.push(token);
    }
    const rotate = db.transaction((slot: number) => {
      const now = Date.now();
      const row = find.get(hash(current[slot]!)) as { id: string; session_id: string };
      markUsed.run(now, row.id);
      const next = randomBytes(32).toString("base64url");
      insert.run(randomUUID(), row.session_id, hash(next), row.id, now);
      touch.run(now, now + 1_209_600_000, row.session_id);
      current[slot] = next;
    });
    let count = 0;
    const deadline = performance.now() + options.seconds * 1000;
    while (performance.now() < deadline) rotate(count++ % SESSIONS);
    return count / options.seconds;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

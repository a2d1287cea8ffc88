// Baseline: POST /auth/refresh at its physical limit here. A bare node:http server, better-sqlite3
// in WAL with synchronous=NORMAL, one transaction per refresh (select the token with its session,
// mark it used, insert the successor, move the session's idle expiry), an ES256 access token
// signed with node:crypto (the key imported once), and the Set-Cookie. No framework, no audit row,
// no rate limit, no checks beyond "unused and session live": the floor ours is measured against.
//   POST /seed?n=50  → {"tokens": [...]}: n fresh sessions, each with its first refresh token.
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

const ISSUER = process.env.ISSUER ?? "http://localhost";
const TTL_SECONDS = 600;
const IDLE_MS = 1_209_600_000;
const COOKIE = "__Host-refresh";

const db = new Database(join(mkdtempSync(join(tmpdir(), "bench-raw-refresh-")), "raw.db"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec(`
  CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER);
  CREATE TABLE refresh_tokens (id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id), token_hash TEXT NOT NULL UNIQUE,
    parent_id TEXT, created_at INTEGER NOT NULL, used_at INTEGER);`);
const find = db.prepare(`SELECT t.id, t.session_id, t.used_at, s.user_id, s.expires_at, s.idle_expires_at, s.revoked_at
  FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = ?`);
const markUsed = db.prepare("UPDATE refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL");
const insertToken = db.prepare("INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at) VALUES (?, ?, ?, ?, ?)");
const insertSession = db.prepare("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, NULL)");
const touch = db.prepare("UPDATE sessions SET last_used_at = ?, idle_expires_at = ? WHERE id = ?");

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const header = Buffer.from(JSON.stringify({ alg: "ES256", typ: "at+jwt", kid: "raw" })).toString("base64url");
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

type Row = { id: string; session_id: string; used_at: number | null; user_id: string; expires_at: number; idle_expires_at: number; revoked_at: number | null };

const rotate = db.transaction((tokenHash: string, next: string, now: number) => {
  const row = find.get(tokenHash) as Row | undefined;
  if (!row || row.used_at !== null || row.revoked_at !== null || row.expires_at <= now || row.idle_expires_at <= now) return null;
  if (markUsed.run(now, row.id).changes !== 1) return null;
  insertToken.run(randomUUID(), row.session_id, hash(next), row.id, now);
  touch.run(now, Math.min(now + IDLE_MS, row.expires_at), row.session_id);
  return row;
});

function accessToken(userId: string, sessionId: string, now: number): string {
  const iat = Math.floor(now / 1000);
  const payload = Buffer.from(
    JSON.stringify({ iss: ISSUER, aud: `${ISSUER}/api`, sub: userId, sid: sessionId, role: "user", jti: randomUUID(), iat, exp: iat + TTL_SECONDS }),
  ).toString("base64url");
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

const server = createServer((req, res) => {
  if (req.method === "POST" && req.url?.startsWith("/seed")) {
    const n = Number(new URL(req.url, "http://x").searchParams.get("n") ?? 50);
    const tokens: string[] = [];
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const sessionId = randomUUID();
      insertSession.run(sessionId, randomUUID(), now, now, now + IDLE_MS, now + 2 * IDLE_MS);
      const token = randomBytes(32).toString("base64url");
      insertToken.run(randomUUID(), sessionId, hash(token), null, now);
      tokens.push(token);
    }
    res.writeHead(200, { "content-type": "application/json" });
    return void res.end(JSON.stringify({ tokens }));
  }
  const cookie = /(?:^|;\s*)__Host-refresh=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
  const now = Date.now();
  const next = randomBytes(32).toString("base64url");
  const row = cookie ? rotate(hash(cookie), next, now) : null;
  if (!row) {
    res.writeHead(401, { "content-type": "application/json" });
    return void res.end('{"error":{"code":"refresh_token_invalid","message":"refused"}}');
  }
  res.writeHead(200, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "set-cookie": `${COOKIE}=${next}; Max-Age=${IDLE_MS / 1000}; Path=/; HttpOnly; Secure; SameSite=Strict`,
  });
  res.end(JSON.stringify({ accessToken: accessToken(row.user_id, row.session_id, now), tokenType: "Bearer", expiresIn: TTL_SECONDS }));
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});

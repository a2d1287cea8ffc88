// npm run attack, run as a real process against the real server: every attack is refused, and
// the tool itself reports a failure (exit 1) when an instance lets one through.
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ATTACKS } from "../../attack/attacks.ts";
import { type ServerProcess, startServer } from "../../tools/server-process.ts";
import { startClockedServer } from "../helpers/clocked-server.ts";
import { escapeRegExp } from "../helpers/text.ts";

const run = promisify(execFile);
/** The attacks that wait minutes at the defaults (expiries, a sign-in growing old). */
const WAITING_ATTACKS = ATTACKS.filter((attack) => attack.waitsLong);
let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function attack(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "attack/run.ts", ...args], { env: { PATH: process.env.PATH } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe("npm run attack", () => {
  it("finds every attack refused by the platform, and prints the table", async () => {
    // Limits on, high enough not to slow the run; the expiry attacks, minutes away at the
    // defaults, are skipped here and run on a test clock below.
    server = await startServer({ RATE_LIMIT_PER_MINUTE: "400", RATE_LIMIT_PER_ACCOUNT_PER_MINUTE: "10" });
    const result = await attack("--base", server.origin, "--strict");
    expect(result.output).toContain(`${ATTACKS.length - WAITING_ATTACKS.length} passed, 0 failed, ${WAITING_ATTACKS.length} skipped`);
    expect(result.code).toBe(0);
    for (const { name } of ATTACKS.filter((a) => !WAITING_ATTACKS.includes(a))) {
      expect(result.output).toMatch(new RegExp(`\\| ${escapeRegExp(name)} +\\|.*\\| PASS +\\|`));
    }
    expect(server.output()).not.toContain("Unhandled error");
  }, 120_000);

  it("finds the waiting attacks refused once their time has passed on the instance's clock", async () => {
    const clocked = await startClockedServer();
    try {
      const ctx = { base: new URL(clocked.origin), allowLongWaits: true, wait: async (ms: number) => clocked.clock.advance(ms / 1000) };
      for (const waiting of WAITING_ATTACKS) {
        expect({ name: waiting.name, ...(await waiting.run(ctx)) }).toMatchObject({ name: waiting.name, pass: true, passStrict: true });
      }
      expect(clocked.unexpectedErrors).toEqual([]);
    } finally {
      await clocked.stop();
    }
  });

  it("judges another implementation by what it refuses, not by our error codes, unless --strict", async () => {
    // Another implementation of the contract at its own origin: the same answers under its own error codes.
    const other = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== "host" && name !== "content-length")) as Record<
        string,
        string
      >;
      const answer = await fetch(new URL(req.url!, server!.origin), { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      const text = (await answer.text()).replace(/"code":"([a-z_]+)"/g, '"code":"other_$1"');
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain", "set-cookie": answer.headers.getSetCookie() });
      res.end(text);
    });
    await new Promise<void>((resolve) => other.listen(0, "localhost", resolve));
    try {
      const base = `http://localhost:${(other.address() as AddressInfo).port}`;
      server = await startServer({ ORIGIN: base });
      const lenient = await attack("--base", base, "--only", "alg none");
      expect(lenient.output).toMatch(/\| access token with alg none .*\| 401 other_token_invalid +\| PASS +\|/);
      expect(lenient.code).toBe(0);
      const strict = await attack("--base", base, "--only", "alg none", "--strict");
      expect(strict.output).toMatch(/\| access token with alg none .*\| FAIL +\|/);
      expect(strict.code).toBe(1);
    } finally {
      other.close();
    }
  }, 60_000);

  it("fails, naming the attack, when an instance lets one through (rate limits turned off)", async () => {
    server = await startServer({ RATE_LIMIT_PER_MINUTE: "0", RATE_LIMIT_PER_ACCOUNT_PER_MINUTE: "0" });
    const result = await attack("--base", server.origin, "--only", "rate limit per account");
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/\| rate limit per account .*\| no 429 in 200 requests +\| FAIL +\|/);
    expect(result.output).toContain("0 passed, 1 failed, 0 skipped");
  }, 60_000);

  it("skips the long expiry attacks at default lifetimes unless --wait is given", async () => {
    server = await startServer();
    const result = await attack("--base", server.origin, "--only", "expired");
    expect(result.code).toBe(0);
    expect(result.output).toContain("0 passed, 0 failed, 2 skipped");
    expect(result.output).toContain("run with --wait");
  }, 60_000);

  it("says how to start an instance when nothing answers at --base", async () => {
    const result = await attack("--base", "http://localhost:9");
    expect(result).toMatchObject({ code: 2, output: expect.stringContaining("npm start") });
  });
});

// The README's "Use the tokens in your own service" commands, run as written (with free ports):
// a token from `npm run token`, the example resource server as its own process, and curl.
import { type ChildProcess, execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnListening } from "../../tools/listening.ts";
import { type ServerProcess, startServer } from "../../tools/server-process.ts";

const ROOT = join(import.meta.dirname, "../..");
const run = promisify(execFile);
let platform: ServerProcess;
let resourceServer: ChildProcess;
let api: string;

/** The README's shell block of that section: the lines after `AUTH=… API=…`. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Use the tokens in your own service"));
  const block = section.slice(section.indexOf("```sh") + 5, section.indexOf("```", section.indexOf("```sh") + 5));
  const lines = block.trim().split("\n");
  return lines.slice(lines.findIndex((line) => line.startsWith("AUTH=")) + 1);
}

beforeAll(async () => {
  // The README's identifier for the example service (its default at PORT 4000); this one listens elsewhere.
  platform = await startServer({ RESOURCES: "http://localhost:4000" });
  const started = await spawnListening({
    args: ["--import", "tsx", "examples/resource-server/main.ts"],
    cwd: ROOT,
    env: { PATH: process.env.PATH, AUTH_ISSUER: platform.origin, AUTH_AUDIENCE: "http://localhost:4000" },
  });
  resourceServer = started.child;
  api = started.url.origin;
}, 30_000);
afterAll(async () => {
  resourceServer?.kill("SIGTERM");
  await platform?.stop();
});

describe("README: use the tokens in your own service", () => {
  it("works as written: the admin's token passes both routes, a bad token is refused, the JWKS is public", async () => {
    const commands = readmeCommands();
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain("RESOURCES=http://localhost:4000 npm start");
    expect(commands[0]).toContain("npm run -s token -- --username ops --admin --resource http://localhost:4000");
    const script = [`AUTH=${platform.origin} API=${api}`, ...commands.map((line) => `${line}; echo`)].join("\n");
    // Run where the platform runs: its database (what `npm start` would find in ./data).
    const env = { PATH: process.env.PATH, DATABASE_URL: `file:${join(platform.dataDir, "auth.db")}` };
    const { stdout } = await run("bash", ["-c", script], { cwd: ROOT, env });
    const [me, report, refused, jwks] = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(me).toMatchObject({ userId: expect.any(String), role: "admin" });
    expect(report).toMatchObject({ report: "Only admins see this." });
    expect(refused).toEqual({ error: { code: "token_invalid", message: expect.any(String) } });
    expect(jwks.keys).toHaveLength(1);
  }, 30_000);

  it("answers 403 on the admin route for a user who is not an admin", async () => {
    const args = ["--import", "tsx", "scripts/token.ts", "--username", "dev", "--resource", "http://localhost:4000", "--base", platform.origin];
    const { stdout: token } = await run(process.execPath, args, { cwd: ROOT });
    const response = await fetch(`${api}/admin/report`, { headers: { authorization: `Bearer ${token.trim()}` } });
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe("forbidden");
  });
});

describe("README: sign in with passkeys from your app", () => {
  it("registers the demo app with the command as written, its secret printed once and stored hashed", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Sign in with passkeys from your app"));
    const start = section.indexOf("```sh") + 5;
    const command = section.slice(start, section.indexOf("```", start)).trim();
    expect(command).toMatch(/^RESOURCES=http:\/\/localhost:4000 npm run clients -- add --name "Demo app"/);
    // Run where the platform runs: its database (what `npm start` would find in ./data).
    const env = { PATH: process.env.PATH, DATABASE_URL: `file:${join(platform.dataDir, "auth.db")}` };
    const { stdout } = await run("bash", ["-c", command], { cwd: ROOT, env });
    const clientId = /client_id: (\S+)/.exec(stdout)![1]!;
    const secret = /client_secret: (\S+)/.exec(stdout)![1]!;
    const { stdout: listed } = await run("npm", ["run", "-s", "clients", "--", "list"], { cwd: ROOT, env });
    expect(listed).toContain(`${clientId}  Demo app  (confidential)`);
    expect(listed).toContain("resources: http://localhost:4000");
    expect(listed).not.toContain(secret);
  }, 30_000);
});

// nginx as the load balancer in front of several instances, running examples/nginx/passkey.conf
// itself with this run's ports: the config people deploy is the one the tests use. Needs Debian's
// nginx (`.ci/run` installs it); findNginx() says whether this machine has it.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SITE_CONFIG = fileURLToPath(new URL("../examples/nginx/passkey.conf", import.meta.url));
const CANDIDATES = ["/usr/sbin/nginx", "/usr/bin/nginx"];
const PORT_TRIES = 20;
const STARTUP_TIMEOUT_MS = 10_000;

export function findNginx(): string | null {
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** The example site config with this run's listen port and upstream addresses (host:port). */
export function renderSiteConfig(options: { port: number; upstreams: readonly string[] }): string {
  const site = readFileSync(SITE_CONFIG, "utf8");
  const servers = options.upstreams.map((address) => `    server ${address} max_fails=1 fail_timeout=5s;`).join("\n");
  return site
    .replace(/^ {4}listen 127\.0\.0\.1:8080;$/m, `    listen 127.0.0.1:${options.port};`)
    .replace(/(?:^ {4}server 127\.0\.0\.1:\d+ .*;\n)+/m, `${servers}\n`);
}

export interface Nginx {
  origin: string;
  /** Points the upstream at these instances (host:port) and reloads; resolves once nginx serves `healthPath` through them. */
  route(upstreams: readonly string[], healthPath: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts nginx on a free port. nginx cannot report a port it picked, so it is given one to bind:
 * if that port is taken, nginx exits at once and another is tried. Upstreams start as a
 * placeholder until route() names the instances (their ORIGIN needs this port first).
 */
export async function startNginx(): Promise<Nginx> {
  const binary = findNginx();
  if (!binary) throw new Error("nginx is not installed (apt-get install -y nginx-light)");
  const prefix = mkdtempSync(join(tmpdir(), "passkey-nginx-"));
  for (const folder of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(prefix, folder));
  const mainConfig = join(prefix, "nginx.conf");
  writeFileSync(
    mainConfig,
    [
      "daemon off;",
      "worker_processes 1;",
      // As root, workers would otherwise run as nobody, who cannot write this 0700 folder.
      ...(userInfo().uid === 0 ? ["user root;"] : []),
      `pid ${join(prefix, "nginx.pid")};`,
      `error_log ${join(prefix, "error.log")} warn;`,
      "events { worker_connections 256; }",
      "http {",
      "  access_log off;",
      ...["body", "proxy", "fastcgi", "uwsgi", "scgi"].map((folder) => `  ${folder === "body" ? "client_body" : folder}_temp_path ${join(prefix, folder)};`),
      `  include ${join(prefix, "site.conf")};`,
      "}",
    ].join("\n"),
  );
  const run = (args: string[]) => spawn(binary, ["-p", prefix, "-c", mainConfig, ...args], { stdio: ["ignore", "pipe", "pipe"] });

  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < PORT_TRIES && !child; attempt++) {
    port = 20_000 + Math.floor(Math.random() * 40_000);
    writeFileSync(join(prefix, "site.conf"), renderSiteConfig({ port, upstreams: ["127.0.0.1:9"] }));
    const candidate = run([]);
    let output = "";
    candidate.stderr!.on("data", (chunk) => (output += chunk));
    const exited = new Promise<string>((resolve) => candidate.once("exit", () => resolve(`${output}${readFileOr(join(prefix, "error.log"))}`)));
    const listening = waitForPort(port).then(
      () => ({ exited: null }),
      (error: Error) => ({ exited: error.message }),
    );
    const outcome = await Promise.race([exited.then((text) => ({ exited: text })), listening]);
    if (outcome.exited === null) child = candidate;
    else if (!/Address already in use/.test(outcome.exited)) throw new Error(`nginx did not start:\n${outcome.exited}`);
  }
  if (!child) throw new Error(`nginx found no free port in ${PORT_TRIES} tries`);
  const running = child;
  const origin = `http://localhost:${port}`;
  return {
    origin,
    route: async (upstreams, healthPath) => {
      writeFileSync(join(prefix, "site.conf"), renderSiteConfig({ port, upstreams }));
      running.kill("SIGHUP"); // reload: new workers with the new upstreams
      const deadline = Date.now() + STARTUP_TIMEOUT_MS;
      for (;;) {
        const status = await fetch(`${origin}${healthPath}`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`nginx did not route to the instances:\n${readFileOr(join(prefix, "error.log"))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async () => {
      const exited = new Promise((resolve) => running.once("exit", resolve));
      if (running.exitCode === null && running.signalCode === null) running.kill("SIGQUIT"); // graceful
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

function readFileOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Resolves once something accepts TCP connections on the port (nginx, or it exits first). */
async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (
      await fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listened on ${port} within ${STARTUP_TIMEOUT_MS} ms`);
}

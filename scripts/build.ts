// Builds what `npm start` runs, each part only when missing or older than its sources:
//   dist/web            the web app (Vite)
//   dist/server/main.mjs the server, bundled by esbuild: plain JavaScript, so the running server
//                        carries no TypeScript loader (tsx costs ~85 MB of memory under load)
// npm run build forces both.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Target {
  output: string;
  sources: string[];
  build(): Promise<void>;
}

const TARGETS: Record<"web" | "server", Target> = {
  web: {
    output: "dist/web/index.html",
    sources: ["web", "shared", "vite.config.ts", "package-lock.json"],
    async build() {
      const { build } = await import("vite");
      await build({ configFile: join(ROOT, "vite.config.ts"), logLevel: "warn" });
    },
  },
  server: {
    output: "dist/server/main.mjs",
    sources: ["server", "shared", "package-lock.json", "scripts/build.ts"],
    async build() {
      const { build } = await import("esbuild");
      await build({
        entryPoints: [join(ROOT, "server/main.ts")],
        outfile: join(ROOT, TARGETS.server.output),
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        packages: "external", // dependencies load from node_modules, as installed
        sourcemap: "linked", // stack traces in the logs point into server/*.ts
        logLevel: "warning",
      });
    },
  },
};

function newestModification(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestModification(join(path, entry))));
}

function isCurrent(target: Target): boolean {
  const output = join(ROOT, target.output);
  if (!existsSync(output)) return false;
  const builtAt = statSync(output).mtimeMs;
  return target.sources.every((source) => !existsSync(join(ROOT, source)) || newestModification(join(ROOT, source)) <= builtAt);
}

/** Builds the parts that are missing or stale (all of them with `force`). */
export async function ensureBuild(options: { force?: boolean } = {}): Promise<void> {
  for (const target of Object.values(TARGETS)) if (options.force || !isCurrent(target)) await target.build();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await ensureBuild({ force: process.argv.includes("--force") });

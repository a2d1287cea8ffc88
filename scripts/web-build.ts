// Builds the web app into dist/web when it is missing or older than its sources.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILT_INDEX = join(ROOT, "dist/web/index.html");
const SOURCES = ["web", "shared", "vite.config.ts", "package-lock.json"];

function newestModification(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestModification(join(path, entry))));
}

export function webBuildIsCurrent(): boolean {
  if (!existsSync(BUILT_INDEX)) return false;
  const builtAt = statSync(BUILT_INDEX).mtimeMs;
  return SOURCES.every((source) => !existsSync(join(ROOT, source)) || newestModification(join(ROOT, source)) <= builtAt);
}

export async function ensureWebBuild(): Promise<void> {
  if (webBuildIsCurrent()) return;
  const { build } = await import("vite");
  await build({ configFile: join(ROOT, "vite.config.ts"), logLevel: "warn" });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes("--force");
  if (force) {
    const { build } = await import("vite");
    await build({ configFile: join(ROOT, "vite.config.ts"), logLevel: "warn" });
  } else {
    await ensureWebBuild();
  }
}

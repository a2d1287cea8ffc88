// Which Chromium the browser tests drive: CHROMIUM_PATH when set, Debian's package when the
// machine has it, and otherwise the build that `npm ci` brought inside @sparticuz/chromium, so a
// bare machine runs every test with no system install. That build ships Brotli-compressed; it is
// unpacked once into node_modules/.cache (written under a temporary name and renamed, so a run
// cut short never leaves a half-written browser behind).
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createBrotliDecompress } from "node:zlib";

const SYSTEM_CHROMIUM = "/usr/bin/chromium";

export async function resolveChromium(env: Record<string, string | undefined> = process.env): Promise<{ path: string; source: string }> {
  if (env.CHROMIUM_PATH) return { path: env.CHROMIUM_PATH, source: "CHROMIUM_PATH" };
  if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: "the system's chromium package" };
  return { path: await unpackNpmChromium(), source: "@sparticuz/chromium (npm)" };
}

async function unpackNpmChromium(): Promise<string> {
  // Its entry point is build/index.js; the package exports nothing else to resolve.
  const packageRoot = join(dirname(createRequire(import.meta.url).resolve("@sparticuz/chromium")), "..");
  const { version } = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string };
  const cache = join(packageRoot, "..", "..", ".cache", `sparticuz-chromium-${version}`);
  const binary = join(cache, "chromium");
  if (existsSync(binary)) return binary;
  mkdirSync(cache, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  await pipeline(createReadStream(join(packageRoot, "bin", "chromium.br")), createBrotliDecompress(), createWriteStream(partial, { mode: 0o755 }));
  renameSync(partial, binary);
  return binary;
}

// Where the project's files are, whether this code runs from server/*.ts (tsx, tests) or bundled
// into dist/server/main.mjs (npm start): the folder holding package.json, above this module.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`No package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
/** The built web app (npm start builds it). */
export const WEB_ROOT = join(PROJECT_ROOT, "dist/web");
/** drizzle-kit's migrations, applied on start. */
export const MIGRATIONS_FOLDER = join(PROJECT_ROOT, "server/db/migrations");
/** The same for PostgreSQL. */
export const POSTGRES_MIGRATIONS_FOLDER = join(PROJECT_ROOT, "server/db/migrations-postgres");

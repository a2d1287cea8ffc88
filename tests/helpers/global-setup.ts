// Before the suite: builds the web app and the bundled server once, so tests that start the
// server run exactly what `npm start` runs; finds the Chromium the browser tests drive; and starts
// the PostgreSQL server the PostgreSQL tests make their databases on (stopped after the suite).
import type { TestProject } from "vitest/node";
import { ensureBuild } from "../../scripts/build.ts";
import pg from "pg";
import { openStore } from "../../server/db/open-store.ts";
import { createDatabase, startPostgres } from "../../tools/postgres-server.ts";
import { resolveChromium } from "./chromium-binary.ts";

declare module "vitest" {
  export interface ProvidedContext {
    chromiumPath: string;
    /** The PostgreSQL server's admin URL: createDatabase(it) makes a fresh database. */
    postgresAdminUrl: string;
    /** A database with every migration applied, to copy (createDatabase's template). */
    postgresTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const [chromium, postgres] = await Promise.all([resolveChromium(), startPostgres(), ensureBuild()]);
  console.log(`Browser tests drive ${chromium.path} (${chromium.source}); PostgreSQL tests run on a server of their own.`);
  project.provide("chromiumPath", chromium.path);
  project.provide("postgresAdminUrl", postgres.adminUrl);
  project.provide("postgresTemplate", await migratedTemplate(postgres.adminUrl));
  return () => postgres.stop();
}

/** A database migrated once, closed, and marked as a template for the tests' databases to copy. */
async function migratedTemplate(adminUrl: string): Promise<string> {
  const url = await createDatabase(adminUrl);
  const opened = await openStore({ database: { engine: "postgres", url } });
  await opened.close();
  const name = new URL(url).pathname.slice(1);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true`);
  await client.end();
  return name;
}

// drizzle-kit for the PostgreSQL schema: `npm run db:generate` writes a migration for each
// dialect after a change (server/db/schema.ts and server/db/postgres/schema.ts change together).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./server/db/postgres/schema.ts",
  out: "./server/db/migrations-postgres",
});

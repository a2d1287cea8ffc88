// drizzle-kit: `npm run db:generate` writes a new migration after a change to server/db/schema.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./server/db/schema.ts",
  out: "./server/db/migrations",
});

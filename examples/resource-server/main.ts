// npm run example:resource-server   (AUTH_ISSUER=http://localhost:3000 PORT=4000 by default)
import { serve } from "@hono/node-server";
import { createResourceServer } from "./app.ts";

const issuer = process.env.AUTH_ISSUER ?? "http://localhost:3000";
const port = Number(process.env.PORT ?? 4000);
const app = createResourceServer({ issuer, jwksUri: process.env.AUTH_JWKS_URI });
const server = serve({ fetch: app.fetch, hostname: "localhost", port }, (info) => {
  console.log(`Resource server listening on http://localhost:${info.port}, trusting tokens from ${issuer}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
process.on("SIGINT", () => server.close(() => process.exit(0)));

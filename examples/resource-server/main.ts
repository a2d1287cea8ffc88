// npm run example:resource-server
//   AUTH_ISSUER   the platform (http://localhost:3000)
//   AUTH_AUDIENCE this service's identifier, as the platform lists it in RESOURCES (http://localhost:$PORT)
//   PORT          4000
import { serve } from "@hono/node-server";
import { createResourceServer } from "./app.ts";

const issuer = process.env.AUTH_ISSUER ?? "http://localhost:3000";
const port = Number(process.env.PORT ?? 4000);
const audience = process.env.AUTH_AUDIENCE ?? `http://localhost:${port}`;
const app = createResourceServer({ issuer, audience, jwksUri: process.env.AUTH_JWKS_URI });
const server = serve({ fetch: app.fetch, hostname: "localhost", port }, (info) => {
  console.log(`Resource server listening on http://localhost:${info.port}, trusting tokens from ${issuer} for ${audience}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
process.on("SIGINT", () => server.close(() => process.exit(0)));

// npm run example:oidc-app
//   AUTH_ISSUER    the platform (http://localhost:3000)
//   CLIENT_ID      from `npm run clients -- add ...` (see the README)
//   CLIENT_SECRET  only for a confidential client
//   RESOURCE       a service to call with its own access token (http://localhost:4000: examples/resource-server)
//   PORT           4001
import { serve } from "@hono/node-server";
import { createOidcApp } from "./app.ts";

const clientId = process.env.CLIENT_ID;
if (!clientId) {
  console.error(
    'Set CLIENT_ID: register this app first with\n  npm run clients -- add --name "Demo app" --redirect-uri http://localhost:4001/callback --post-logout-redirect-uri http://localhost:4001/ --resource http://localhost:4000',
  );
  process.exit(2);
}
const port = Number(process.env.PORT ?? 4001);
const origin = `http://localhost:${port}`;
const app = createOidcApp({
  issuer: process.env.AUTH_ISSUER ?? "http://localhost:3000",
  clientId,
  clientSecret: process.env.CLIENT_SECRET,
  origin,
  resource: process.env.RESOURCE,
});
const server = serve({ fetch: app.fetch, hostname: "localhost", port }, () => console.log(`Demo app on ${origin}: open it and sign in with a passkey`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
process.on("SIGINT", () => server.close(() => process.exit(0)));

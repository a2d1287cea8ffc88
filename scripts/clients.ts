// Registers apps with the OpenID Provider from the command line, on the database the environment
// names (as the server would open it):
//   npm run clients -- add --name <name> --redirect-uri <uri> [--redirect-uri <uri>...]
//        [--post-logout-redirect-uri <uri>...] [--resource <uri>...] [--confidential] [--first-party]
//   npm run clients -- list
//   npm run clients -- remove <client_id>
// A confidential client's secret is printed once; only its hash is stored.
import { parseArgs } from "node:util";
import * as v from "valibot";
import { systemClock } from "../server/clock.ts";
import { loadConfig } from "../server/config.ts";
import { openStore } from "../server/db/open-store.ts";
import { AppError } from "../server/errors.ts";
import { registerClient, removeClient, toOidcClient } from "../server/oidc/clients.ts";
import { OidcClientInput } from "../shared/schemas.ts";
import { runCommand } from "./cli.ts";

const USAGE = `usage: npm run clients -- add --name <name> --redirect-uri <uri>... [--post-logout-redirect-uri <uri>...] [--resource <uri>...] [--confidential] [--first-party]
       npm run clients -- list
       npm run clients -- remove <client_id>`;
const TOOL = { userId: null, context: { ip: null, userAgent: "npm run clients" } };

async function main(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== "add" && action !== "list" && action !== "remove") {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig(process.env);
  const { store, close } = await openStore(config);
  const deps = { config, store, clock: systemClock };
  try {
    if (action === "list") {
      const clients = (await store.oidc.clients.list()).map(toOidcClient);
      if (clients.length === 0) console.log("No clients yet: npm run clients -- add --name <name> --redirect-uri <uri>");
      for (const client of clients) {
        console.log(`${client.clientId}  ${client.name}  (${client.type}${client.firstParty ? ", first-party" : ""})`);
        console.log(`  redirect URIs: ${client.redirectUris.join(" ")}`);
        if (client.resources.length > 0) console.log(`  resources: ${client.resources.join(" ")}`);
      }
      return 0;
    }
    if (action === "remove") {
      if (rest.length !== 1) {
        console.error(USAGE);
        return 2;
      }
      await removeClient(deps, rest[0]!, TOOL);
      console.log(`Removed ${rest[0]}: its grants and tokens have ended.`);
      return 0;
    }
    const { values } = parseArgs({
      args: rest,
      options: {
        name: { type: "string" },
        "redirect-uri": { type: "string", multiple: true },
        "post-logout-redirect-uri": { type: "string", multiple: true },
        resource: { type: "string", multiple: true },
        confidential: { type: "boolean" },
        "first-party": { type: "boolean" },
      },
    });
    const parsed = v.safeParse(OidcClientInput, {
      name: values.name ?? "",
      redirectUris: values["redirect-uri"] ?? [],
      postLogoutRedirectUris: values["post-logout-redirect-uri"] ?? [],
      resources: values.resource ?? [],
      confidential: values.confidential ?? false,
      firstParty: values["first-party"] ?? false,
    });
    if (!parsed.success) {
      for (const issue of parsed.issues) console.error(`${v.getDotPath(issue) ?? "input"}: ${issue.message}`);
      console.error(USAGE);
      return 2;
    }
    const { client, clientSecret } = await registerClient(deps, parsed.output, TOOL);
    console.log(`client_id: ${client.clientId}`);
    if (clientSecret !== null) console.log(`client_secret: ${clientSecret}\n(shown once: only its hash is stored)`);
    console.log(`issuer: ${config.issuer}  (discovery: ${config.issuer}/.well-known/openid-configuration)`);
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await close();
  }
}

await runCommand(main);

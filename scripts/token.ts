// npm run -s token -- --username NAME [--admin] [--resource URI] [--base URL]
// Signs up NAME on a running instance with a software passkey (real ES256 signatures, kept only
// in this process) and prints the new session's access token on stdout, for curl and for trying
// the tokens in your own service. For development instances: the account has no passkey you can
// use again. --admin then makes NAME an admin as `npm run admin -- grant` does (so it needs the
// instance's database, from the same DATABASE_URL) and prints a token refreshed to say so.
// --resource asks for a token meant for that downstream service (RFC 8707; the instance must list
// it in RESOURCES) instead of one for the platform's own API.
import { parseArgs } from "node:util";
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { HttpClient } from "../tools/http-client.ts";
import { ROUTES } from "../shared/routes.ts";
import { SoftwareAuthenticator } from "../tools/authenticator.ts";
import { setRole } from "./roles.ts";

const USAGE = "usage: npm run -s token -- --username NAME [--admin] [--resource URI] [--base http://localhost:3000]";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { username: { type: "string" }, base: { type: "string" }, admin: { type: "boolean" }, resource: { type: "string" } },
  });
  if (!values.username) {
    console.error(USAGE);
    return 2;
  }
  const base = new URL(values.base ?? "http://localhost:3000");
  const client = new HttpClient(base);
  const authenticator = new SoftwareAuthenticator({ origin: base.origin });
  const options = await client.post(ROUTES.registerOptions, { body: { username: values.username } }).catch(() => undefined);
  if (!options) {
    console.error(`No instance answers at ${base.origin}. Start one (npm start) or pass --base URL.`);
    return 1;
  }
  if (options.status !== 200) {
    console.error(`${options.body?.error?.code ?? options.status}: ${options.body?.error?.message ?? "sign-up refused"}`);
    return 1;
  }
  const credential = await authenticator.register(options.body as PublicKeyCredentialCreationOptionsJSON);
  const signedUp = await client.post(ROUTES.registerVerify, { body: credential });
  if (signedUp.status !== 200) {
    console.error(`${signedUp.body?.error?.code ?? signedUp.status}: ${signedUp.body?.error?.message ?? "sign-up refused"}`);
    return 1;
  }
  let tokens = signedUp.body as { user: { username: string; role: string }; accessToken: string; expiresIn: number };
  if (values.admin) {
    const granted = await setRole(tokens.user.username, "admin", { tool: "npm run token --admin" });
    if (granted.outcome === "no_such_user") {
      console.error(`${tokens.user.username} is not in ${granted.location}: run this with the DATABASE_URL of the instance at ${base.origin}.`);
      return 1;
    }
  }
  if (values.admin || values.resource) {
    // A refresh: the role is read again, and the token is for the resource asked for.
    const refreshed = await client.post(ROUTES.refresh, { body: values.resource ? { resource: values.resource } : {} });
    if (refreshed.status !== 200) {
      console.error(`${refreshed.body?.error?.code ?? refreshed.status}: ${refreshed.body?.error?.message ?? "the refresh was refused"}`);
      return 1;
    }
    tokens = refreshed.body as typeof tokens;
  }
  const { user, accessToken, expiresIn } = tokens;
  console.error(`Signed up ${user.username} (${user.role}); the token below expires in ${expiresIn} s.`);
  console.log(accessToken);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

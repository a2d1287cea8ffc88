// npm run -s token -- --username NAME [--base URL]
// Signs up NAME on a running instance with a software passkey (real ES256 signatures, kept only
// in this process) and prints the new session's access token on stdout, for curl and for trying
// the tokens in your own service. For development instances: the account has no passkey you can
// use again.
import { parseArgs } from "node:util";
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { HttpClient } from "../tools/http-client.ts";
import { ROUTES } from "../shared/routes.ts";
import { SoftwareAuthenticator } from "../tools/authenticator.ts";

const USAGE = "usage: npm run -s token -- --username NAME [--base http://localhost:3000]";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { username: { type: "string" }, base: { type: "string" } } });
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
  const { user, accessToken, expiresIn } = signedUp.body as { user: { username: string; role: string }; accessToken: string; expiresIn: number };
  console.error(`Signed up ${user.username} (${user.role}); the token below expires in ${expiresIn} s.`);
  console.log(accessToken);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

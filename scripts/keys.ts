// Signing keys of an existing database, from the command line:
//   npm run keys:rotate   retire the current key now and sign with a new one
//   npm run keys:list     what is current, and which retired keys are still published
// A running server picks a rotation up within a minute, or at once when it sees the new kid.
// Retired keys stay in the JWKS until the last token they signed has expired (ACCESS_TOKEN_TTL).
import { loadServerKeys } from "../server/auth/signing-keys.ts";
import { systemClock } from "../server/clock.ts";
import { loadConfig } from "../server/config.ts";
import { openStore } from "../server/db/open-store.ts";
import { resolveKeyEncryptionSecret } from "../server/dev-secret.ts";
import { runCommand } from "./cli.ts";

const USAGE = "usage: npm run keys:rotate | npm run keys:list";

async function main([action]: string[]): Promise<number> {
  if (action !== "rotate" && action !== "list") {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig(process.env);
  const { store, close } = await openStore(config);
  try {
    const keys = await loadServerKeys({
      store,
      clock: systemClock,
      keyEncryptionSecret: resolveKeyEncryptionSecret(config),
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      rotationIntervalSeconds: 0,
    });
    if (action === "rotate") {
      const retired = keys.current.kid;
      const kid = await keys.rotate();
      console.log(`Signing with ${kid} now; ${retired} is retired and stays published for ${config.accessTokenTtlSeconds} s.`);
    }
    for (const record of await store.signingKeys.list()) {
      const state = record.retiredAt === null ? "current" : `retired ${new Date(record.retiredAt).toISOString()}`;
      const published = keys.publicKeys.has(record.kid) ? "published" : "unpublished";
      console.log(`${record.kid}  created ${new Date(record.createdAt).toISOString()}  ${state}  ${published}`);
    }
    return 0;
  } finally {
    await close();
  }
}

await runCommand(main);

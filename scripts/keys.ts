// Signing keys of an existing database, from the command line:
//   npm run keys:rotate   retire the current key now and sign with a new one
//   npm run keys:list     what is current, and which retired keys are still published
//   npm run keys:revoke -- <kid>   a leaked key: out of the JWKS, and its tokens refused at once
// A running server picks a rotation up within a minute, or at once when it sees the new kid.
// Retired keys stay in the JWKS until the last token they signed has expired (ACCESS_TOKEN_TTL);
// a revoked key leaves it at once, and our API refuses its tokens from the next request (every
// bearer request reads whether its key is revoked); the instances sign with a new key from then on.
import { recordAuditEvent } from "../server/auth/audit.ts";
import { loadServerKeys } from "../server/auth/signing-keys.ts";
import { systemClock } from "../server/clock.ts";
import { loadConfig } from "../server/config.ts";
import { openStore } from "../server/db/open-store.ts";
import { resolveKeyEncryptionSecret } from "../server/dev-secret.ts";
import { runCommand } from "./cli.ts";

const USAGE = "usage: npm run keys:rotate | npm run keys:list | npm run keys:revoke -- <kid>";

async function main([action, kid]: string[]): Promise<number> {
  if ((action !== "rotate" && action !== "list" && action !== "revoke") || (action === "revoke") !== (kid !== undefined)) {
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
    if (action === "revoke") {
      const record = (await store.signingKeys.list()).find((key) => key.kid === kid);
      if (!record || record.revokedAt !== null) {
        console.error(record ? `${kid} is already revoked.` : `No signing key ${kid}; npm run keys:list shows them.`);
        return 1;
      }
      // The current key is replaced first, so no instance is ever left without one to sign with.
      if (keys.current.kid === kid) await keys.rotate();
      await store.signingKeys.revoke(kid!, systemClock.now().getTime());
      await recordAuditEvent({ store, clock: systemClock }, { ip: null, userAgent: "npm run keys:revoke" }, { type: "signing_key_revoked", detail: { kid } });
      await keys.refresh();
      console.log(`Revoked ${kid}: removed from the JWKS, and tokens it signed are refused by this platform's API from the next request.`);
      console.log(`Services that verify tokens with the JWKS refuse them once they fetch it again. Signing with ${keys.current.kid}.`);
    }
    for (const record of await store.signingKeys.list()) {
      const state =
        record.revokedAt !== null
          ? `revoked ${new Date(record.revokedAt).toISOString()}`
          : record.retiredAt === null
            ? "current"
            : `retired ${new Date(record.retiredAt).toISOString()}`;
      const published = keys.publicKeys.has(record.kid) ? "published" : "unpublished";
      console.log(`${record.kid}  created ${new Date(record.createdAt).toISOString()}  ${state}  ${published}`);
    }
    return 0;
  } finally {
    await close();
  }
}

await runCommand(main);

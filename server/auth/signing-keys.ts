// Access-token signing keys: made on first start, private part kept as a JWE under
// KEY_ENCRYPTION_SECRET, loaded and imported once at start.
import { randomUUID } from "node:crypto";
import {
  calculateJwkThumbprint,
  CompactEncrypt,
  compactDecrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from "jose";
import type { Clock } from "../clock.ts";
import type { Store } from "../db/store.ts";
import { deriveSecretKey } from "./secrets.ts";

export const SIGNING_ALG = "ES256";

export interface ServerKeys {
  current: { kid: string; privateKey: CryptoKey };
  /** Verification keys by kid: the current one and retired ones still inside their validity. */
  publicKeys: ReadonlyMap<string, CryptoKey>;
  jwks: { keys: JWK[] };
  /** HMAC key for the decoy credentials shown for unknown usernames. */
  decoyKey: Uint8Array;
  /** HMAC key recovery codes are stored under, so a copied database cannot be brute-forced offline. */
  recoveryCodeKey: Uint8Array;
}

export interface LoadKeysOptions {
  store: Store;
  clock: Clock;
  keyEncryptionSecret: string;
  /** A retired key stays published this long after retirement: the longest an access token it signed lives. */
  accessTokenTtlSeconds: number;
}

export async function loadServerKeys(options: LoadKeysOptions): Promise<ServerKeys> {
  const encryptionKey = deriveSecretKey(options.keyEncryptionSecret, "signing-key-encryption");
  const now = options.clock.now().getTime();
  let records = await options.store.signingKeys.list();
  if (!records.some((key) => key.retiredAt === null)) {
    await options.store.signingKeys.insert(await createSigningKey(encryptionKey, now));
    records = await options.store.signingKeys.list();
  }
  const current = records.find((key) => key.retiredAt === null)!;
  const published = records.filter(
    (key) => key.retiredAt === null || key.retiredAt + options.accessTokenTtlSeconds * 1000 > now,
  );

  const publicJwks = published.map((key) => ({ ...(JSON.parse(key.publicJwk) as JWK), kid: key.kid, alg: key.alg, use: "sig" }));
  const publicKeys = new Map<string, CryptoKey>();
  for (const jwk of publicJwks) publicKeys.set(jwk.kid, (await importJWK(jwk, SIGNING_ALG)) as CryptoKey);

  const { plaintext } = await compactDecrypt(current.privateJwkEncrypted, encryptionKey).catch((cause: unknown) => {
    throw new Error("Cannot decrypt the signing key: KEY_ENCRYPTION_SECRET differs from the one it was stored with.", { cause });
  });
  const privateKey = (await importJWK(JSON.parse(new TextDecoder().decode(plaintext)) as JWK, SIGNING_ALG)) as CryptoKey;

  return {
    current: { kid: current.kid, privateKey },
    publicKeys,
    jwks: { keys: publicJwks },
    decoyKey: deriveSecretKey(options.keyEncryptionSecret, "login-decoy"),
    recoveryCodeKey: deriveSecretKey(options.keyEncryptionSecret, "recovery-code"),
  };
}

async function createSigningKey(encryptionKey: Uint8Array, now: number) {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = new TextEncoder().encode(JSON.stringify(await exportJWK(privateKey)));
  const privateJwkEncrypted = await new CompactEncrypt(privateJwk)
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid: `${kid}.${randomUUID()}` })
    .encrypt(encryptionKey);
  return { kid, alg: SIGNING_ALG, publicJwk: JSON.stringify(publicJwk), privateJwkEncrypted, createdAt: now, retiredAt: null };
}

// Access-token signing keys: made on first start, private part kept as a JWE under
// KEY_ENCRYPTION_SECRET, imported once per key. Rotated every SIGNING_KEY_ROTATION_INTERVAL (or
// by `npm run keys:rotate`); a retired key stays published until the last token it signed expires.
// A revoked key (`npm run keys:revoke`) is never published or trusted again.
import { randomUUID } from "node:crypto";
import { calculateJwkThumbprint, CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import type { Clock } from "../clock.ts";
import type { SigningKeyRecord, Store } from "../db/store.ts";
import { deriveSecretKey } from "./secrets.ts";

export const SIGNING_ALG = "ES256";

export interface ServerKeys {
  /** The key that signs new access tokens. */
  readonly current: { kid: string; privateKey: CryptoKey };
  /** Verification keys by kid: the current one and retired ones until the last token they signed expires. */
  readonly publicKeys: ReadonlyMap<string, CryptoKey>;
  readonly jwks: { keys: JWK[] };
  /**
   * The published keys with their private parts, current first, as private JWKs: the OpenID
   * Provider signs ID tokens and its access tokens with the current one. A new array whenever
   * the published set changes.
   */
  readonly privateJwks: readonly JWK[];
  /** HMAC key for the decoy credentials shown for unknown usernames. */
  readonly decoyKey: Uint8Array;
  /** HMAC key recovery codes are stored under, so a copied database cannot be brute-forced offline. */
  readonly recoveryCodeKey: Uint8Array;
  /** HMAC key a refresh token's successor is derived under (see sessions.ts). */
  readonly refreshSuccessorKey: Uint8Array;
  /** Key the OpenID Provider signs its cookies with (the same on every instance). */
  readonly oidcCookieKey: Uint8Array;
  /**
   * The verification key for `kid`. A kid not known here makes one re-read of storage (another
   * instance, or `npm run keys:rotate`, may have rotated), at most once per RELOAD_THROTTLE_MS,
   * so made-up kids cannot turn into a storage flood.
   */
  publicKey(kid: string): Promise<CryptoKey | undefined>;
  /** Re-reads storage, rotating first when the current key is older than the rotation interval. */
  refresh(): Promise<void>;
  /**
   * After meeting a token of revoked key `kid`: re-reads storage at once when that is the key this
   * instance signs with (it must stop now, and the read ends it), else unless it was read within
   * RELOAD_THROTTLE_MS.
   */
  reloadSoon(kid: string): Promise<void>;
  /** Retires the current key now and signs with a new one; returns the new kid. */
  rotate(): Promise<string>;
}

export interface LoadKeysOptions {
  store: Store;
  clock: Clock;
  keyEncryptionSecret: string;
  /** A retired key stays published this long after retirement: the longest an access token it signed lives. */
  accessTokenTtlSeconds: number;
  /** Age at which refresh() retires the current key; 0 never rotates by itself. */
  rotationIntervalSeconds: number;
}

export const RELOAD_THROTTLE_MS = 10_000;

export async function loadServerKeys(options: LoadKeysOptions): Promise<ServerKeys> {
  const { store, clock } = options;
  const encryptionKey = deriveSecretKey(options.keyEncryptionSecret, "signing-key-encryption");
  const imported = new Map<string, CryptoKey>();
  const decrypted = new Map<string, JWK>();
  let current!: ServerKeys["current"];
  let publicKeys = new Map<string, CryptoKey>();
  let jwks: ServerKeys["jwks"] = { keys: [] };
  let privateJwks: JWK[] = [];
  let lastReadAt = 0;

  const importPublic = async (jwk: JWK & { kid: string }) => {
    let key = imported.get(jwk.kid);
    if (!key) {
      key = (await importJWK(jwk, SIGNING_ALG)) as CryptoKey;
      imported.set(jwk.kid, key);
    }
    return key;
  };

  const read = async () => {
    const now = clock.now().getTime();
    lastReadAt = now;
    let records = await store.signingKeys.list();
    if (!records.some((key) => key.retiredAt === null)) {
      // Instances starting together on an empty database each offer a key; one becomes current.
      await store.signingKeys.insertIfNoneCurrent(await createSigningKey(encryptionKey, now));
      records = await store.signingKeys.list();
    }
    const record = records.find((key) => key.retiredAt === null)!;
    // The current key first, then retired ones, most recently retired first.
    const published = records
      .filter((key) => key.revokedAt === null && (key.retiredAt === null || key.retiredAt + options.accessTokenTtlSeconds * 1000 > now))
      .sort((a, b) => (b.retiredAt ?? Infinity) - (a.retiredAt ?? Infinity));
    const publicJwks = published.map((key) => ({ ...(JSON.parse(key.publicJwk) as JWK), kid: key.kid, alg: key.alg, use: "sig" }));
    const nextPublicKeys = new Map<string, CryptoKey>();
    for (const jwk of publicJwks) nextPublicKeys.set(jwk.kid, await importPublic(jwk));
    const nextPrivateJwks: JWK[] = [];
    for (const key of published) {
      let jwk = decrypted.get(key.kid);
      if (!jwk) {
        jwk = { ...(await decryptPrivateJwk(key, encryptionKey)), kid: key.kid, alg: key.alg, use: "sig" };
        decrypted.set(key.kid, jwk);
      }
      nextPrivateJwks.push(jwk);
    }
    if (current?.kid !== record.kid) current = { kid: record.kid, privateKey: (await importJWK(decrypted.get(record.kid)!, SIGNING_ALG)) as CryptoKey };
    publicKeys = nextPublicKeys;
    jwks = { keys: publicJwks };
    if (nextPrivateJwks.map((jwk) => jwk.kid).join() !== privateJwks.map((jwk) => jwk.kid).join()) privateJwks = nextPrivateJwks;
    return record;
  };

  const rotate = async (currentKid: string) => {
    const now = clock.now().getTime();
    await store.signingKeys.rotate({ currentKid, retiredAt: now, next: await createSigningKey(encryptionKey, now) });
    // Whether this call or another instance rotated, storage now holds the current key.
    await read();
  };

  const initial = await read();
  const dueForRotation = (createdAt: number) =>
    options.rotationIntervalSeconds > 0 && clock.now().getTime() - createdAt >= options.rotationIntervalSeconds * 1000;
  if (dueForRotation(initial.createdAt)) await rotate(initial.kid);

  return {
    get current() {
      return current;
    },
    get publicKeys() {
      return publicKeys;
    },
    get jwks() {
      return jwks;
    },
    get privateJwks() {
      return privateJwks;
    },
    decoyKey: deriveSecretKey(options.keyEncryptionSecret, "login-decoy"),
    recoveryCodeKey: deriveSecretKey(options.keyEncryptionSecret, "recovery-code"),
    refreshSuccessorKey: deriveSecretKey(options.keyEncryptionSecret, "refresh-token-successor"),
    oidcCookieKey: deriveSecretKey(options.keyEncryptionSecret, "oidc-cookies"),
    async publicKey(kid) {
      const key = publicKeys.get(kid);
      if (key || clock.now().getTime() - lastReadAt < RELOAD_THROTTLE_MS) return key;
      await read();
      return publicKeys.get(kid);
    },
    async reloadSoon(kid) {
      if (kid === current.kid || clock.now().getTime() - lastReadAt >= RELOAD_THROTTLE_MS) await read();
    },
    async refresh() {
      const record = await read();
      if (dueForRotation(record.createdAt)) await rotate(record.kid);
    },
    async rotate() {
      await rotate(current.kid);
      return current.kid;
    },
  };
}

async function decryptPrivateJwk(record: SigningKeyRecord, encryptionKey: Uint8Array): Promise<JWK> {
  const { plaintext } = await compactDecrypt(record.privateJwkEncrypted, encryptionKey).catch((cause: unknown) => {
    throw new Error("Cannot decrypt the signing key: KEY_ENCRYPTION_SECRET differs from the one it was stored with.", { cause });
  });
  return JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
}

async function createSigningKey(encryptionKey: Uint8Array, now: number) {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = new TextEncoder().encode(JSON.stringify(await exportJWK(privateKey)));
  const privateJwkEncrypted = await new CompactEncrypt(privateJwk)
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid: `${kid}.${randomUUID()}` })
    .encrypt(encryptionKey);
  return { kid, alg: SIGNING_ALG, publicJwk: JSON.stringify(publicJwk), privateJwkEncrypted, createdAt: now, retiredAt: null, revokedAt: null };
}

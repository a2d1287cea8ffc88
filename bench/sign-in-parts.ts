// The parts a passkey sign-in cannot avoid, timed one by one in-process with our own code:
// the assertion's signature check, the access-token signature, and the storage steps. Their sum
// is the sign-in rate a single core could reach if HTTP and everything else were free.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyAuthenticationResponse } from "@simplewebauthn/server";
import { decodeAttestationObject, parseAuthenticatorData } from "@simplewebauthn/server/helpers";
import { issueAccessToken } from "../server/auth/access-tokens.ts";
import { MAX_PENDING_CHALLENGES } from "../server/auth/challenges.ts";
import { loadServerKeys } from "../server/auth/signing-keys.ts";
import { systemClock } from "../server/clock.ts";
import { loadConfig } from "../server/config.ts";
import { openStore } from "../server/db/open-store.ts";
import { SoftwareAuthenticator } from "../tools/authenticator.ts";

export interface SignInParts {
  verifyAssertionMs: number;
  signAccessTokenMs: number;
  storageMs: number;
  /** 1000 / (sum of the parts): sign-ins per second on one core. */
  limitPerSecond: number;
}

const WARM_UP_CALLS = 50;

/** Milliseconds per call; `work` gets a number never passed before (ids stay unique). */
async function timePerCall(iterations: number, work: (n: number) => Promise<unknown> | unknown): Promise<number> {
  let n = 0;
  for (let i = 0; i < WARM_UP_CALLS; i++) await work(n++);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await work(n++);
  return (performance.now() - started) / iterations;
}

export async function measureSignInParts(iterations = 2000): Promise<SignInParts> {
  const dir = mkdtempSync(join(tmpdir(), "bench-parts-"));
  const config = loadConfig({ DATABASE_URL: `file:${join(dir, "auth.db")}`, KEY_ENCRYPTION_SECRET: "bench-only-secret-0123456789abcdefghijkl" });
  // Opened as the server opens it: checkpoints on the worker thread, not inside these commits.
  const database = await openStore(config, { backgroundWork: { onError: (message) => console.error(message) } });
  try {
    const { store } = database;
    const keys = await loadServerKeys({
      store,
      clock: systemClock,
      keyEncryptionSecret: config.keyEncryptionSecret!,
      accessTokenTtlSeconds: 600,
      rotationIntervalSeconds: 0,
    });
    const deps = { config, store, clock: systemClock, keys };

    // One real credential and assertion to verify repeatedly.
    const authenticator = new SoftwareAuthenticator({ origin: config.origins[0]!, counterMode: "zero" });
    const userHandle = Buffer.alloc(32, 1).toString("base64url");
    const registration = await authenticator.register({
      challenge: "AAAA",
      rp: { id: config.rpId, name: "bench" },
      user: { id: userHandle, name: "bench", displayName: "bench" },
      pubKeyCredParams: [{ type: "public-key", alg: -7 }],
    });
    const challenge = Buffer.alloc(32, 2).toString("base64url");
    const assertion = await authenticator.authenticate({ challenge, rpId: config.rpId });
    // The stored public key, as the registration ceremony would have saved it (COSE).
    const cose = decodeAttestationObject(Buffer.from(registration.response.attestationObject, "base64url")).get("authData");
    const { credentialPublicKey } = parseAuthenticatorData(cose);

    const verifyAssertionMs = await timePerCall(iterations, () =>
      verifyAuthenticationResponse({
        response: assertion,
        expectedChallenge: challenge,
        expectedOrigin: config.origins[0]!,
        expectedRPID: config.rpId,
        requireUserVerification: true,
        credential: { id: registration.id, publicKey: credentialPublicKey!, counter: 0 },
      }),
    );
    const signAccessTokenMs = await timePerCall(iterations, () => issueAccessToken(deps, { userId: "u", sessionId: "s", role: "user", authTime: 0 }));

    // The storage steps of options + verify, on the real store.
    const now = Date.now();
    const user = {
      id: "bench-user",
      username: "bench",
      displayName: "bench",
      webauthnUserId: userHandle,
      role: "user" as const,
      blockedAt: null,
      createdAt: now,
    };
    const passkey = {
      id: "bench-passkey",
      userId: user.id,
      credentialId: registration.id,
      publicKey: credentialPublicKey!,
      counter: 0,
      transports: [],
      deviceType: "multiDevice" as const,
      backedUp: true,
      aaguid: "00000000-0000-0000-0000-000000000000",
      name: "bench",
      createdAt: now,
      lastUsedAt: null,
    };
    await store.users.createWithPasskey(user, passkey);
    const storageMs = await timePerCall(iterations, async (i) => {
      const t = Date.now();
      const value = `challenge-${i}`;
      await store.challenges.insert(
        {
          challenge: value,
          purpose: "authentication",
          userId: null,
          username: null,
          displayName: null,
          webauthnUserId: null,
          expiresAt: t + 300_000,
          createdAt: t,
        },
        { now: t, maxPending: MAX_PENDING_CHALLENGES },
      );
      await store.challenges.consume(value);
      await store.passkeys.findByCredentialId(registration.id);
      await store.users.findById(user.id);
      await store.passkeys.recordUse(passkey.id, { counter: 0, backedUp: true, usedAt: t });
      await store.sessions.create(
        { id: `s-${i}`, userId: user.id, passkeyId: passkey.id, createdAt: t, idleExpiresAt: t + 1e9, expiresAt: t + 1e9, userAgent: null, ip: null },
        { id: `t-${i}`, sessionId: `s-${i}`, tokenHash: `h-${i}`, parentId: null, createdAt: t },
        { maxPerUser: config.maxSessionsPerUser, now: t }, // the default limit, as a live account has
      );
      await store.audit.record({ type: "signed_in", userId: user.id, sessionId: `s-${i}`, createdAt: t });
    });
    return { verifyAssertionMs, signAccessTokenMs, storageMs, limitPerSecond: 1000 / (verifyAssertionMs + signAccessTokenMs + storageMs) };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

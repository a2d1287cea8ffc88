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
  /** What a sign-in stores: its challenge at options, three reads, and one commit. */
  storageMs: number;
  /** The same work committed step by step (challenge, counter, session, event), as before one commit did it. */
  storageSeparateCommitsMs: number;
  /** 1000 / (sum of the parts): sign-ins per second on one core. */
  limitPerSecond: number;
  /** The same with the step-by-step storage. */
  limitWithSeparateCommitsPerSecond: number;
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
    const challengeFor = (value: string, t: number) => ({
      challenge: value,
      purpose: "authentication" as const,
      userId: null,
      username: null,
      displayName: null,
      webauthnUserId: null,
      expiresAt: t + 300_000,
      createdAt: t,
    });
    const sessionFor = (id: string, t: number) => ({
      id,
      userId: user.id,
      passkeyId: passkey.id,
      createdAt: t,
      idleExpiresAt: t + 1e9,
      expiresAt: t + 1e9,
      userAgent: null,
      ip: null,
    });
    const signedIn = (id: string, t: number) => ({ type: "signed_in", userId: user.id, sessionId: id, createdAt: t });
    // What a sign-in stores now: its challenge at options, then reads, then one commit (challenge
    // consumed, counter recorded, session and first token, signed_in).
    const storageMs = await timePerCall(iterations, async (i) => {
      const t = Date.now();
      const value = `challenge-${i}`;
      await store.challenges.insert(challengeFor(value, t), { now: t, maxPending: MAX_PENDING_CHALLENGES });
      await store.challenges.find(value);
      await store.passkeys.findByCredentialId(registration.id);
      await store.users.findById(user.id);
      await store.sessions.create(
        sessionFor(`s-${i}`, t),
        { id: `t-${i}`, sessionId: `s-${i}`, tokenHash: `h-${i}`, parentId: null, createdAt: t },
        {
          maxPerUser: config.maxSessionsPerUser, // the default limit, as a live account has
          now: t,
          assertion: { challenge: value, passkeyId: passkey.id, use: { counter: 0, backedUp: true, usedAt: t } },
          audit: { signedIn: signedIn(`s-${i}`, t), evicted: (id) => ({ type: "session_evicted", sessionId: id, createdAt: t }) },
        },
      );
    });
    // The same work as it was stored before, one commit per step (challenge, counter, session, event).
    const storageSeparateCommitsMs = await timePerCall(iterations, async (i) => {
      const t = Date.now();
      const value = `separate-${i}`;
      await store.challenges.insert(challengeFor(value, t), { now: t, maxPending: MAX_PENDING_CHALLENGES });
      await store.challenges.consume(value);
      await store.passkeys.findByCredentialId(registration.id);
      await store.users.findById(user.id);
      await store.passkeys.recordUse(passkey.id, { counter: 0, backedUp: true, usedAt: t });
      await store.sessions.create(
        sessionFor(`x-${i}`, t),
        { id: `u-${i}`, sessionId: `x-${i}`, tokenHash: `k-${i}`, parentId: null, createdAt: t },
        {
          maxPerUser: config.maxSessionsPerUser,
          now: t,
        },
      );
      await store.audit.record(signedIn(`x-${i}`, t));
    });
    return {
      verifyAssertionMs,
      signAccessTokenMs,
      storageMs,
      storageSeparateCommitsMs,
      limitPerSecond: 1000 / (verifyAssertionMs + signAccessTokenMs + storageMs),
      limitWithSeparateCommitsPerSecond: 1000 / (verifyAssertionMs + signAccessTokenMs + storageSeparateCommitsMs),
    };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Keys derived from KEY_ENCRYPTION_SECRET, one per purpose (HKDF, RFC 5869), so one secret
// never serves two uses.
import { hash, hkdfSync, randomBytes } from "node:crypto";

const HKDF_SALT = "passkey-platform/v1";
const DERIVED_KEY_BYTES = 32;

export type SecretPurpose = "signing-key-encryption" | "login-decoy" | "recovery-code" | "refresh-token-successor" | "oidc-cookies";

export function deriveSecretKey(secret: string, purpose: SecretPurpose): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", secret, HKDF_SALT, purpose, DERIVED_KEY_BYTES));
}

/**
 * How high-entropy bearer secrets (refresh tokens, recovery grants: 256 random bits) are stored:
 * SHA-256 hex. No salt or stretching is needed at that entropy; the database never sees the secret.
 */
export function hashSecretToken(token: string): string {
  return hash("sha256", token, "hex"); // one-shot: no Hash object per call (a refresh hashes twice)
}

/** `bytes` from the CSPRNG as base64url, for tokens, challenges and handles. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

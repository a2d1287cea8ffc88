// Which passkeys we accept and how we name them.
import { COSEALG } from "@simplewebauthn/server/helpers";

/** ES256 first (every platform authenticator), then Ed25519 and RS256 (Windows Hello). */
export const SUPPORTED_ALGORITHM_IDS = [COSEALG.ES256, COSEALG.EdDSA, COSEALG.RS256];

export function passkeyName(deviceType: "singleDevice" | "multiDevice"): string {
  return deviceType === "multiDevice" ? "Synced passkey" : "Device-bound passkey";
}

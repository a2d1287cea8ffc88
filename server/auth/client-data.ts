// Reads clientDataJSON and applies the checks @simplewebauthn/server leaves to the app.
import { decodeClientDataJSON, type ClientDataJSON } from "@simplewebauthn/server/helpers";
import { AppError } from "../errors.ts";

export function readClientData(clientDataJSON: string): ClientDataJSON {
  let clientData: ClientDataJSON;
  try {
    clientData = decodeClientDataJSON(clientDataJSON);
  } catch (cause) {
    throw new AppError("invalid_request", { message: "clientDataJSON is not valid base64url JSON.", cause });
  }
  if (typeof clientData !== "object" || clientData === null || typeof clientData.challenge !== "string") {
    throw new AppError("invalid_request", { message: "clientDataJSON has no challenge." });
  }
  return clientData;
}

/**
 * WebAuthn §7.1 step 10 / §7.2 step 13: we never embed the ceremony in another site's iframe, so a
 * response made inside a cross-origin frame (crossOrigin true, or any topOrigin) is refused. The
 * library accepts crossOrigin=true when topOrigin is absent (Safari omits it), which would let a
 * framing site run our ceremony.
 */
export function assertNotCrossOrigin(clientData: ClientDataJSON): void {
  if (clientData.crossOrigin === true || clientData.topOrigin !== undefined) {
    throw new AppError("passkey_verification_failed", { message: "Passkey ceremonies inside another site's frame are refused." });
  }
}

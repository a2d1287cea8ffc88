// A software WebAuthn authenticator: real P-256 keys and ES256 signatures over real
// authenticator data, so the server's verification runs exactly as with a device. Every field
// a test may want to forge can be overridden per call.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
const COSE_KTY_EC2 = 2;
const COSE_KTY_RSA = 3;
const COSE_ALG_RS256 = -257;
const COSE_ALG_ES256 = -7;
const COSE_CRV_P256 = 1;
const COSE_ALG_ES384 = -35;
const COSE_CRV_P384 = 2;

export interface Forgery {
  origin?: string;
  rpId?: string;
  type?: string;
  challenge?: string;
  crossOrigin?: boolean;
  topOrigin?: string;
  userPresent?: boolean;
  userVerified?: boolean;
  backupEligible?: boolean;
  backedUp?: boolean;
  /** Sign-count to report instead of the next one. */
  counter?: number;
  /** userHandle to send; null leaves it out. */
  userHandle?: string | null;
  /** Sign with this key instead of the credential's own. */
  signingKey?: KeyObject;
  /** Registration: make a new key under this existing credential ID. */
  credentialId?: string;
  /** Registration: "packed" makes a valid self-attestation instead of "none". */
  attestationFormat?: "none" | "packed";
  /** Registration: the key's algorithm (ES384 is one we never ask for; RS256 is what Windows Hello makes). */
  algorithm?: "ES256" | "ES384" | "RS256";
  /** Registration with RS256: the modulus size in bits (default 2048) and public exponent (default 65537). */
  rsaModulusBits?: number;
  rsaExponent?: number;
  /** Registration: length of a random credential ID in bytes (default 32). */
  credentialIdBytes?: number;
}

export interface StoredCredential {
  id: string;
  rpId: string;
  userHandle: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  counter: number;
  /** Fixed when the credential is made (WebAuthn §6.1.3): its assertions carry the same BE flag. */
  backupEligible: boolean;
}

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();
const b64url = (data: Uint8Array) => Buffer.from(data).toString("base64url");

export class SoftwareAuthenticator {
  readonly credentials = new Map<string, StoredCredential>();
  readonly origin: string;
  /** "increment" behaves like a security key; "zero" like a synced passkey that reports 0. */
  counterMode: "increment" | "zero";

  constructor(options: { origin: string; counterMode?: "increment" | "zero" }) {
    this.origin = options.origin;
    this.counterMode = options.counterMode ?? "increment";
  }

  async register(options: PublicKeyCredentialCreationOptionsJSON, forgery: Forgery = {}): Promise<RegistrationResponseJSON> {
    const rpId = forgery.rpId ?? options.rp.id!;
    const es384 = forgery.algorithm === "ES384";
    const rsa = forgery.algorithm === "RS256";
    const { privateKey, publicKey } = rsa
      ? generateKeyPairSync("rsa", { modulusLength: forgery.rsaModulusBits ?? 2048, publicExponent: forgery.rsaExponent ?? 65537 })
      : generateKeyPairSync("ec", { namedCurve: es384 ? "P-384" : "P-256" });
    const credentialId = forgery.credentialId ? Buffer.from(forgery.credentialId, "base64url") : randomBytes(forgery.credentialIdBytes ?? 32);
    const id = b64url(credentialId);
    const counter = forgery.counter ?? 0;
    this.credentials.set(id, { id, rpId, userHandle: options.user.id, privateKey, publicKey, counter, backupEligible: forgery.backupEligible ?? false });

    const jwk = publicKey.export({ format: "jwk" });
    const coseKey = rsa
      ? new Map<number, number | Uint8Array>([
          [1, COSE_KTY_RSA],
          [3, COSE_ALG_RS256],
          [-1, Buffer.from(jwk.n!, "base64url")],
          [-2, Buffer.from(jwk.e!, "base64url")],
        ])
      : new Map<number, number | Uint8Array>([
          [1, COSE_KTY_EC2],
          [3, es384 ? COSE_ALG_ES384 : COSE_ALG_ES256],
          [-1, es384 ? COSE_CRV_P384 : COSE_CRV_P256],
          [-2, Buffer.from(jwk.x!, "base64url")],
          [-3, Buffer.from(jwk.y!, "base64url")],
        ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      this.authDataPrefix(rpId, forgery, counter, FLAG_AT),
      Buffer.alloc(16), // AAGUID: all zeros, as with attestation "none"
      idLength,
      credentialId,
      isoCBOR.encode(coseKey),
    ]);
    const clientDataJSON = this.clientData("webauthn.create", options.challenge, forgery);
    // Packed self-attestation (WebAuthn §8.2): the credential key signs authData || hash(clientData).
    const attStmt =
      forgery.attestationFormat === "packed"
        ? new Map<string, number | Uint8Array>([
            ["alg", es384 ? COSE_ALG_ES384 : COSE_ALG_ES256],
            ["sig", sign(es384 ? "sha384" : "sha256", Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, "base64url"))]), privateKey)],
          ])
        : new Map<string, number | Uint8Array>();
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, number | Uint8Array>>([
        ["fmt", forgery.attestationFormat ?? "none"],
        ["attStmt", attStmt],
        ["authData", authData],
      ]),
    );
    return {
      id,
      rawId: id,
      type: "public-key",
      response: {
        clientDataJSON,
        attestationObject: b64url(attestationObject),
        transports: ["internal", "hybrid"],
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }

  /** Answers with `credentialId`, else the first of ours the options allow (any of ours for the RP when none are listed). */
  async authenticate(options: PublicKeyCredentialRequestOptionsJSON, forgery: Forgery = {}): Promise<AuthenticationResponseJSON> {
    const credential = this.pickCredential(options, forgery.credentialId);
    const rpId = forgery.rpId ?? options.rpId ?? credential.rpId;
    const counter = forgery.counter ?? (this.counterMode === "increment" ? credential.counter + 1 : 0);
    credential.counter = Math.max(credential.counter, counter);

    const authData = this.authDataPrefix(rpId, { backupEligible: credential.backupEligible, ...forgery }, counter, 0);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, forgery);
    const signedData = Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, "base64url"))]);
    // ES256 in WebAuthn is an ASN.1 DER ECDSA signature (WebAuthn §6.5.6), node's default.
    const signature = sign("sha256", signedData, forgery.signingKey ?? credential.privateKey);
    const userHandle = forgery.userHandle === undefined ? credential.userHandle : forgery.userHandle;
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      response: {
        clientDataJSON,
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }

  private pickCredential(options: PublicKeyCredentialRequestOptionsJSON, credentialId?: string): StoredCredential {
    const wanted = credentialId ?? options.allowCredentials?.find((c) => this.credentials.has(c.id))?.id;
    const credential = wanted
      ? this.credentials.get(wanted)
      : [...this.credentials.values()].find((c) => c.rpId === options.rpId && !options.allowCredentials?.length);
    if (!credential) throw new Error("SoftwareAuthenticator: no matching credential");
    return credential;
  }

  private authDataPrefix(rpId: string, forgery: Forgery, counter: number, extraFlags: number): Buffer {
    let flags = extraFlags;
    if (forgery.userPresent ?? true) flags |= FLAG_UP;
    if (forgery.userVerified ?? true) flags |= FLAG_UV;
    if (forgery.backupEligible) flags |= FLAG_BE;
    if (forgery.backedUp) flags |= FLAG_BS;
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), counterBytes]);
  }

  private clientData(type: string, challenge: string, forgery: Forgery): string {
    const clientData: Record<string, unknown> = {
      type: forgery.type ?? type,
      challenge: forgery.challenge ?? challenge,
      origin: forgery.origin ?? this.origin,
      crossOrigin: forgery.crossOrigin ?? false,
    };
    if (forgery.topOrigin !== undefined) clientData.topOrigin = forgery.topOrigin;
    return Buffer.from(JSON.stringify(clientData)).toString("base64url");
  }
}

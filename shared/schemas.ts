// Request and response schemas shared by server and web (valibot): the server validates every
// body with these, the web app uses the same rules and types.
import * as v from "valibot";

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A base64url string of at most `maxBytes` decoded bytes. */
function base64url(maxBytes: number) {
  return v.pipe(v.string(), v.regex(BASE64URL, "must be base64url"), v.maxLength(Math.ceil((maxBytes * 4) / 3)));
}

// WebAuthn §5.4.3: credential IDs are at most 1023 bytes.
const MAX_CREDENTIAL_ID_BYTES = 1023;
const MAX_CLIENT_DATA_BYTES = 4096;
const MAX_ATTESTATION_BYTES = 32 * 1024;
const MAX_AUTHENTICATOR_DATA_BYTES = 4096;
const MAX_SIGNATURE_BYTES = 1024;

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 64;
export const DISPLAY_NAME_MAX_LENGTH = 64;

/** Lower-cased so that "Alice" and "alice" are one account; ASCII only, so look-alikes cannot register. */
export const Username = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.minLength(USERNAME_MIN_LENGTH, `must be at least ${USERNAME_MIN_LENGTH} characters`),
  v.maxLength(USERNAME_MAX_LENGTH, `must be at most ${USERNAME_MAX_LENGTH} characters`),
  v.regex(/^[a-z0-9](?:[a-z0-9._@+-]*[a-z0-9])?$/, "may use letters, digits and . _ @ + - (not at the ends)"),
);

export const DisplayName = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(DISPLAY_NAME_MAX_LENGTH, `must be at most ${DISPLAY_NAME_MAX_LENGTH} characters`),
  // No control characters: the name is shown by authenticators and in the audit log.
  v.regex(/^[^\p{Cc}]*$/u, "must not contain control characters"),
);

export const RegisterOptionsRequest = v.strictObject({
  username: Username,
  displayName: v.optional(DisplayName),
});

export const LoginOptionsRequest = v.strictObject({
  username: v.optional(Username),
});

const Transports = v.pipe(
  v.array(v.picklist(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"])),
  v.maxLength(8),
);

const AuthenticatorAttachment = v.picklist(["platform", "cross-platform"]);

/** Extension outputs are opaque to us; only their presence as an object is checked. */
const ClientExtensionResults = v.record(v.string(), v.unknown());

export const RegistrationResponse = v.object({
  id: base64url(MAX_CREDENTIAL_ID_BYTES),
  rawId: base64url(MAX_CREDENTIAL_ID_BYTES),
  type: v.literal("public-key"),
  response: v.object({
    clientDataJSON: base64url(MAX_CLIENT_DATA_BYTES),
    attestationObject: base64url(MAX_ATTESTATION_BYTES),
    authenticatorData: v.optional(base64url(MAX_ATTESTATION_BYTES)),
    transports: v.optional(Transports),
    publicKeyAlgorithm: v.optional(v.number()),
    publicKey: v.optional(base64url(MAX_ATTESTATION_BYTES)),
  }),
  authenticatorAttachment: v.optional(AuthenticatorAttachment),
  clientExtensionResults: ClientExtensionResults,
});

export const AuthenticationResponse = v.object({
  id: base64url(MAX_CREDENTIAL_ID_BYTES),
  rawId: base64url(MAX_CREDENTIAL_ID_BYTES),
  type: v.literal("public-key"),
  response: v.object({
    clientDataJSON: base64url(MAX_CLIENT_DATA_BYTES),
    authenticatorData: base64url(MAX_AUTHENTICATOR_DATA_BYTES),
    signature: base64url(MAX_SIGNATURE_BYTES),
    userHandle: v.optional(base64url(64)),
  }),
  authenticatorAttachment: v.optional(AuthenticatorAttachment),
  clientExtensionResults: ClientExtensionResults,
});

/** A whole number in a query string, within bounds. */
function queryInteger(min: number, max: number) {
  return v.pipe(v.string(), v.regex(/^\d{1,9}$/, "must be a whole number"), v.transform(Number), v.minValue(min), v.maxValue(max));
}

export const PAGE_SIZE_MAX = 100;
export const PAGE_SIZE_DEFAULT = 50;

export const AdminUsersQuery = v.strictObject({
  q: v.optional(v.pipe(v.string(), v.trim(), v.toLowerCase(), v.maxLength(USERNAME_MAX_LENGTH)), ""),
  limit: v.optional(queryInteger(1, PAGE_SIZE_MAX), String(PAGE_SIZE_DEFAULT)),
  offset: v.optional(queryInteger(0, 1_000_000_000), "0"),
});

export const AuditQuery = v.strictObject({
  userId: v.optional(v.pipe(v.string(), v.maxLength(64))),
  type: v.optional(v.pipe(v.string(), v.regex(/^[a-z_]{1,64}$/, "must be an event type like signed_in"))),
  before: v.optional(queryInteger(1, Number.MAX_SAFE_INTEGER)),
  limit: v.optional(queryInteger(1, PAGE_SIZE_MAX), String(PAGE_SIZE_DEFAULT)),
});

export const AdminUserPatch = v.pipe(
  v.strictObject({
    role: v.optional(v.picklist(["user", "admin"])),
    blocked: v.optional(v.boolean()),
  }),
  v.check((patch) => patch.role !== undefined || patch.blocked !== undefined, "give role or blocked"),
);

export const PASSKEY_NAME_MAX_LENGTH = 64;

export const PasskeyRename = v.strictObject({
  name: v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, "must not be empty"),
    v.maxLength(PASSKEY_NAME_MAX_LENGTH, `must be at most ${PASSKEY_NAME_MAX_LENGTH} characters`),
    v.regex(/^[^\p{Cc}]*$/u, "must not contain control characters"),
  ),
});

export const RecoverRequest = v.strictObject({
  username: Username,
  code: v.pipe(v.string(), v.maxLength(64)),
});

const RecoveryToken = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, "must be a recovery token"));

export const RecoveryOptionsRequest = v.strictObject({ recoveryToken: RecoveryToken });

export const RecoveryVerifyRequest = v.strictObject({ recoveryToken: RecoveryToken, credential: RegistrationResponse });

export type RegisterOptionsRequest = v.InferOutput<typeof RegisterOptionsRequest>;
export type LoginOptionsRequest = v.InferOutput<typeof LoginOptionsRequest>;
export type RegistrationResponse = v.InferOutput<typeof RegistrationResponse>;
export type AuthenticationResponse = v.InferOutput<typeof AuthenticationResponse>;

export type Role = "user" | "admin";

/** The user as every endpoint shows it. */
export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  createdAt: string;
}

/** One of the signed-in user's sessions (GET /api/sessions). */
export interface SessionInfo {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  /** When it ends if not used again (idle expiry, capped by the absolute one). */
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  /** The session this request is made with. */
  current: boolean;
  /** The passkey that opened it (null once that passkey is deleted). */
  passkey: { id: string; name: string } | null;
}

/** One of the signed-in user's passkeys (GET /api/passkeys). */
export interface PasskeyInfo {
  id: string;
  name: string;
  /** From the AAGUID, e.g. "iCloud Keychain"; null when the authenticator does not say. */
  providerName: string | null;
  /** base64url, for the WebAuthn Signal API after a deletion. */
  credentialId: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
  /** Synced passkeys live in a provider's cloud; device-bound ones never leave their device. */
  kind: "synced" | "device-bound";
}

export interface PasskeyList {
  passkeys: PasskeyInfo[];
  /** What the WebAuthn Signal API needs to tell the browser which passkeys still count. */
  rpId: string;
  userHandle: string;
}

/** Answer of POST /auth/recover. */
export interface RecoveryGrant {
  recoveryToken: string;
  expiresIn: number;
}

/** A security event (audit log). Details never hold a token or secret. */
export interface AuditEvent {
  id: number;
  type: string;
  userId: string | null;
  username: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
}

export interface AdminUser extends PublicUser {
  blocked: boolean;
  passkeyCount: number;
  sessionCount: number;
}

export interface AdminUserPage {
  users: AdminUser[];
  total: number;
  limit: number;
  offset: number;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}

/** Answer of register/verify, login/verify and refresh. */
export interface TokenResponse {
  user: PublicUser;
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
}

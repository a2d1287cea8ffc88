// Request and response schemas shared by server and web (valibot): the server validates every
// body with these, the web app uses the same rules and types.
import { AUDIT_EVENT_TYPES } from "./audit-events.ts";
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

/**
 * Text people name things with, shown by authenticators, the account page and the audit log: no
 * control characters, and no format characters (bidirectional overrides and isolates that make a
 * name read backwards, zero-width spaces, BOMs) nor line separators, except the zero-width joiner
 * and non-joiner that emoji sequences and several scripts need.
 */
const SHOWN_TEXT = /^(?:[\u200C\u200D]|[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}])*$/u;
const SHOWN_TEXT_MESSAGE = "must not contain control, bidirectional or other invisible format characters";

export const DisplayName = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(DISPLAY_NAME_MAX_LENGTH, `must be at most ${DISPLAY_NAME_MAX_LENGTH} characters`),
  v.regex(SHOWN_TEXT, SHOWN_TEXT_MESSAGE),
);

export const RegisterOptionsRequest = v.strictObject({
  username: Username,
  displayName: v.optional(DisplayName),
});

export const LoginOptionsRequest = v.strictObject({
  username: v.optional(Username),
});

const Transports = v.pipe(v.array(v.picklist(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"])), v.maxLength(8));

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

/** A name people give something and others see (a passkey, an app): trimmed, not empty, shown text only. */
function shownName(maxLength: number) {
  return v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, "must not be empty"),
    v.maxLength(maxLength, `must be at most ${maxLength} characters`),
    v.regex(SHOWN_TEXT, SHOWN_TEXT_MESSAGE),
  );
}

export const PasskeyRename = v.strictObject({ name: shownName(PASSKEY_NAME_MAX_LENGTH) });

export const RecoverRequest = v.strictObject({
  username: Username,
  code: v.pipe(v.string(), v.maxLength(64)),
});

const RecoveryToken = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, "must be a recovery token"));

export const RecoveryOptionsRequest = v.strictObject({ recoveryToken: RecoveryToken });

/** An optional body for POST /auth/refresh: the service the new access token is for (RFC 8707). */
export const RefreshRequest = v.strictObject({
  resource: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(512),
      v.description("A downstream service the operator listed in RESOURCES; the token's `aud`. Omitted: this platform's own API."),
    ),
  ),
});

export const RecoveryVerifyRequest = v.strictObject({ recoveryToken: RecoveryToken, credential: RegistrationResponse });

export type RegisterOptionsRequest = v.InferOutput<typeof RegisterOptionsRequest>;
export type LoginOptionsRequest = v.InferOutput<typeof LoginOptionsRequest>;
export type RegistrationResponse = v.InferOutput<typeof RegistrationResponse>;
export type AuthenticationResponse = v.InferOutput<typeof AuthenticationResponse>;

// ---- Responses: valibot schemas too, so the OpenAPI document describes answers from the same
// source as the types the web app uses. The server builds them; it does not parse them.

const Timestamp = v.pipe(v.string(), v.isoTimestamp());

export const Role = v.picklist(["user", "admin"]);
export type Role = v.InferOutput<typeof Role>;

export const PublicUser = v.pipe(
  v.object({ id: v.string(), username: v.string(), displayName: v.string(), role: Role, createdAt: Timestamp }),
  v.description("The user as every endpoint shows it."),
);
export type PublicUser = v.InferOutput<typeof PublicUser>;

export const SessionInfo = v.pipe(
  v.object({
    id: v.pipe(v.string(), v.description("The session id: the access token's sid.")),
    createdAt: Timestamp,
    lastUsedAt: Timestamp,
    expiresAt: v.pipe(Timestamp, v.description("When it ends if not used again (idle expiry, capped by the absolute one).")),
    userAgent: v.nullable(v.string()),
    ip: v.nullable(v.string()),
    current: v.pipe(v.boolean(), v.description("The session this request is made with.")),
    passkey: v.pipe(
      v.nullable(v.object({ id: v.string(), name: v.string() })),
      v.description("The passkey that opened it (null once that passkey is deleted)."),
    ),
  }),
  v.description("One of the signed-in user's sessions."),
);
export type SessionInfo = v.InferOutput<typeof SessionInfo>;
export const SessionList = v.array(SessionInfo);

export const PasskeyInfo = v.pipe(
  v.object({
    id: v.string(),
    name: v.string(),
    providerName: v.pipe(v.nullable(v.string()), v.description('From the AAGUID, e.g. "iCloud Keychain"; null when the authenticator does not say.')),
    credentialId: v.pipe(v.string(), v.description("base64url, for the WebAuthn Signal API after a deletion.")),
    createdAt: Timestamp,
    lastUsedAt: v.nullable(Timestamp),
    backedUp: v.boolean(),
    kind: v.pipe(
      v.picklist(["synced", "device-bound"]),
      v.description("Synced passkeys live in a provider's cloud; device-bound ones never leave their device."),
    ),
  }),
  v.description("One of the signed-in user's passkeys."),
);
export type PasskeyInfo = v.InferOutput<typeof PasskeyInfo>;

export const PasskeyList = v.object({
  passkeys: v.array(PasskeyInfo),
  rpId: v.pipe(v.string(), v.description("For the WebAuthn Signal API: which RP the passkeys belong to.")),
  userHandle: v.pipe(v.string(), v.description("For the WebAuthn Signal API: the account's WebAuthn user handle.")),
});
export type PasskeyList = v.InferOutput<typeof PasskeyList>;

export const RecoveryGrant = v.pipe(
  v.object({ recoveryToken: v.string(), expiresIn: v.pipe(v.number(), v.description("Seconds.")) }),
  v.description("A short grant that can only register one new passkey (POST /auth/recover/options and /verify)."),
);
export type RecoveryGrant = v.InferOutput<typeof RecoveryGrant>;

export const RecoveryCodes = v.object({ recoveryCodes: v.pipe(v.array(v.string()), v.description("Shown once; only their HMACs are kept.")) });
export const RecoveryCodesLeft = v.object({ remaining: v.number() });

export const AuditEvent = v.pipe(
  v.object({
    id: v.number(),
    type: v.pipe(v.string(), v.description(`One of: ${AUDIT_EVENT_TYPES.join(", ")}.`)),
    userId: v.nullable(v.string()),
    username: v.nullable(v.string()),
    sessionId: v.nullable(v.string()),
    ip: v.nullable(v.string()),
    userAgent: v.nullable(v.string()),
    detail: v.record(v.string(), v.unknown()),
    createdAt: Timestamp,
  }),
  v.description("A security event. Details never hold a token or secret."),
);
export type AuditEvent = v.InferOutput<typeof AuditEvent>;
export const AuditEventList = v.array(AuditEvent);

export const AdminUser = v.object({
  ...PublicUser.pipe[0].entries,
  blocked: v.boolean(),
  passkeyCount: v.number(),
  sessionCount: v.pipe(v.number(), v.description("Live sessions.")),
});
export type AdminUser = v.InferOutput<typeof AdminUser>;

export const AdminUserPage = v.object({ users: v.array(AdminUser), total: v.number(), limit: v.number(), offset: v.number() });
export type AdminUserPage = v.InferOutput<typeof AdminUserPage>;

export const AuditPage = v.object({
  events: v.array(AuditEvent),
  nextBefore: v.pipe(v.nullable(v.number()), v.description("Pass as `before` for the next (older) page; null on the last page.")),
});
export type AuditPage = v.InferOutput<typeof AuditPage>;

export const TokenResponse = v.pipe(
  v.object({
    user: PublicUser,
    accessToken: v.pipe(v.string(), v.description("An RFC 9068 JWT (ES256, typ at+jwt). Keep it in memory only.")),
    tokenType: v.literal("Bearer"),
    expiresIn: v.pipe(v.number(), v.description("Seconds until the access token expires.")),
  }),
  v.description("A signed-in session: the access token here, the refresh token in the __Host-refresh cookie."),
);
export type TokenResponse = v.InferOutput<typeof TokenResponse>;

export const SignUpResponse = v.object({
  ...TokenResponse.pipe[0].entries,
  recoveryCodes: v.pipe(v.array(v.string()), v.description("Ten one-time recovery codes, shown once.")),
});

/** WebAuthn options exactly as @simplewebauthn/browser takes them (only the fields we always send are listed). */
export const CreationOptions = v.pipe(
  v.looseObject({
    challenge: v.string(),
    rp: v.looseObject({ id: v.optional(v.string()), name: v.string() }),
    user: v.looseObject({ id: v.string(), name: v.string(), displayName: v.string() }),
    pubKeyCredParams: v.array(v.looseObject({ type: v.string(), alg: v.number() })),
    timeout: v.optional(v.number()),
    excludeCredentials: v.optional(v.array(v.looseObject({ id: v.string(), type: v.string() }))),
    authenticatorSelection: v.optional(v.looseObject({})),
    attestation: v.optional(v.string()),
  }),
  v.description("PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3): pass to navigator.credentials.create via @simplewebauthn/browser."),
);
export const RequestOptions = v.pipe(
  v.looseObject({
    challenge: v.string(),
    rpId: v.optional(v.string()),
    timeout: v.optional(v.number()),
    allowCredentials: v.optional(v.array(v.looseObject({ id: v.string(), type: v.string() }))),
    userVerification: v.optional(v.string()),
  }),
  v.description("PublicKeyCredentialRequestOptionsJSON (WebAuthn Level 3): pass to navigator.credentials.get via @simplewebauthn/browser."),
);

export const Jwks = v.pipe(
  v.object({ keys: v.array(v.looseObject({ kty: v.string(), kid: v.string(), alg: v.string(), use: v.string() })) }),
  v.description("The current signing key and retired ones whose tokens may still be live."),
);
export const OpenIdConfiguration = v.looseObject({ issuer: v.string(), jwks_uri: v.string(), access_token_signing_alg_values_supported: v.array(v.string()) });
export const Health = v.object({ status: v.literal("ok") });

// The OpenID Provider: its sign-in page's API, the apps a person let in, and client registration.

export const InteractionDetails = v.pipe(
  v.object({
    uid: v.string(),
    prompt: v.pipe(v.picklist(["login", "consent"]), v.description("login: sign in (or confirm the live session); consent: allow the app.")),
    client: v.object({ id: v.string(), name: v.string(), firstParty: v.boolean() }),
    scopes: v.array(v.string()),
    resources: v.pipe(v.array(v.string()), v.description("Services the app asks an access token for (RFC 8707).")),
    reauthenticate: v.pipe(
      v.boolean(),
      v.description("The app asked for a fresh sign-in (prompt=login, or max_age shorter than the live session's last passkey use)."),
    ),
    maxAge: v.nullable(v.number()),
  }),
  v.description("What an authorization request in progress asks of the person."),
);
export type InteractionDetails = v.InferOutput<typeof InteractionDetails>;

export const InteractionRedirect = v.pipe(
  v.object({ redirectTo: v.string() }),
  v.description("Where the browser goes next: back to the provider, which answers the app."),
);

export const AppAccess = v.pipe(
  v.object({
    clientId: v.string(),
    name: v.string(),
    grantedAt: Timestamp,
    sessionIds: v.pipe(v.array(v.string()), v.description("The sessions it was allowed in: it loses access when they end.")),
  }),
  v.description("An app this person lets sign them in."),
);
export const AppAccessList = v.array(AppAccess);
export type AppAccess = v.InferOutput<typeof AppAccess>;

const CLIENT_NAME_MAX_LENGTH = 64;
const MAX_CLIENT_URIS = 10;
const Uri = v.pipe(v.string(), v.maxLength(2048), v.url("must be an absolute URI"));

export const OidcClientInput = v.strictObject({
  name: shownName(CLIENT_NAME_MAX_LENGTH),
  redirectUris: v.pipe(v.array(Uri), v.minLength(1, "give at least one redirect URI"), v.maxLength(MAX_CLIENT_URIS)),
  postLogoutRedirectUris: v.optional(v.pipe(v.array(Uri), v.maxLength(MAX_CLIENT_URIS)), []),
  resources: v.optional(v.pipe(v.array(Uri), v.maxLength(MAX_CLIENT_URIS)), []),
  /** Confidential: a server-side app that keeps a secret. Public: a browser or native app (PKCE only). */
  confidential: v.optional(v.boolean(), false),
  firstParty: v.optional(v.pipe(v.boolean(), v.description("Skips the consent page (apps run by the platform's own operator).")), false),
});
export type OidcClientInput = v.InferInput<typeof OidcClientInput>;

export const OidcClient = v.pipe(
  v.object({
    clientId: v.string(),
    name: v.string(),
    type: v.picklist(["public", "confidential"]),
    redirectUris: v.array(v.string()),
    postLogoutRedirectUris: v.array(v.string()),
    resources: v.array(v.string()),
    firstParty: v.boolean(),
    createdAt: Timestamp,
  }),
  v.description("An app registered with the OpenID Provider."),
);
export const OidcClientList = v.array(OidcClient);
export type OidcClient = v.InferOutput<typeof OidcClient>;

export const RegisteredClient = v.pipe(
  v.object({
    client: OidcClient,
    clientSecret: v.pipe(v.nullable(v.string()), v.description("Shown this once (stored only as a hash); null for a public client.")),
  }),
  v.description("The new client, with its secret."),
);
export type RegisteredClient = v.InferOutput<typeof RegisteredClient>;

// The SQLite schema (drizzle-kit generates server/db/migrations from this file).
// Times are integer epoch milliseconds; ids are random UUIDs made by the app.
import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  username: text("username").notNull().unique(),
  displayName: text("display_name").notNull(),
  /** WebAuthn user handle (base64url of 32 random bytes): never the username (WebAuthn §14.6.1). */
  webauthnUserId: text("webauthn_user_id").notNull().unique(),
  role: text("role", { enum: ["user", "admin"] })
    .notNull()
    .default("user"),
  blockedAt: integer("blocked_at"),
  createdAt: integer("created_at").notNull(),
});

export const passkeys = sqliteTable(
  "passkeys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** base64url; unique so a credential belongs to exactly one user. */
    credentialId: text("credential_id").notNull().unique(),
    publicKey: blob("public_key", { mode: "buffer" }).notNull(),
    counter: integer("counter").notNull(),
    transports: text("transports").notNull().default("[]"),
    deviceType: text("device_type", { enum: ["singleDevice", "multiDevice"] }).notNull(),
    backedUp: integer("backed_up", { mode: "boolean" }).notNull(),
    aaguid: text("aaguid").notNull(),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [index("passkeys_user_id").on(t.userId)],
);

export const challenges = sqliteTable(
  "challenges",
  {
    /** base64url of the random challenge bytes, exactly as clientDataJSON carries it. */
    challenge: text("challenge").primaryKey(),
    purpose: text("purpose", { enum: ["registration", "authentication", "passkey_add", "step_up", "recovery"] }).notNull(),
    /** Authentication with a username: the account it was asked for (null when unknown). */
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    /** Registration: the account to create; authentication: the username that was asked for. */
    username: text("username"),
    displayName: text("display_name"),
    webauthnUserId: text("webauthn_user_id"),
    expiresAt: integer("expires_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("challenges_expires_at").on(t.expiresAt)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    passkeyId: text("passkey_id").references(() => passkeys.id, { onDelete: "set null" }),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at").notNull(),
    /** Sliding: moves forward on every refresh, never past expiresAt. */
    idleExpiresAt: integer("idle_expires_at").notNull(),
    /** Absolute: SESSION_MAX_AGE after sign-in. */
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    revokedReason: text("revoked_reason"),
    /** Last proof of user verification in this session: the sign-in, or a later step-up. */
    verifiedAt: integer("verified_at").notNull().default(0),
    userAgent: text("user_agent"),
    ip: text("ip"),
  },
  // expires_at: the scheduled purge finds ended sessions by it, a bounded batch at a time.
  (t) => [index("sessions_user_id").on(t.userId, t.createdAt), index("sessions_expires_at").on(t.expiresAt)],
);

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    /** SHA-256 of the token (hex); the token itself is never stored. */
    tokenHash: text("token_hash").notNull().unique(),
    /** The token this one was issued in exchange for (null for the first of a session). */
    parentId: text("parent_id"),
    createdAt: integer("created_at").notNull(),
    /** Set when the token is exchanged for its successor. */
    usedAt: integer("used_at"),
  },
  (t) => [index("refresh_tokens_session_id").on(t.sessionId)],
);

export const signingKeys = sqliteTable("signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(),
  publicJwk: text("public_jwk").notNull(),
  /** The private JWK as a compact JWE (dir + A256GCM) under KEY_ENCRYPTION_SECRET. */
  privateJwkEncrypted: text("private_jwk_encrypted").notNull(),
  createdAt: integer("created_at").notNull(),
  /** When it stopped signing (null while current). */
  retiredAt: integer("retired_at"),
  /** When it was revoked (`npm run keys:revoke`): unpublished, and its tokens refused at once. */
  revokedAt: integer("revoked_at"),
});

export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type").notNull(),
    userId: text("user_id"),
    sessionId: text("session_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    /** JSON object with event details; never a token or secret. */
    detail: text("detail").notNull().default(sql`'{}'`),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("audit_events_user_id").on(t.userId, t.id), index("audit_events_type").on(t.type, t.id)],
);

export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** HMAC-SHA256 of the normalised code under a key derived from KEY_ENCRYPTION_SECRET. */
    codeHash: text("code_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [index("recovery_codes_user_id").on(t.userId)],
);

/** What a used recovery code grants: registering one new passkey, once, for a few minutes. */
export const recoveryGrants = sqliteTable("recovery_grants", {
  id: text("id").primaryKey(),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  /** SHA-256 of the grant token (hex). */
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});

// The OpenID Provider (server/oidc): its clients, the state oidc-provider keeps (codes, tokens,
// grants, its sessions, interactions) and the links that tie that state to platform sessions.

/** Apps that sign people in through the OpenID Provider, registered by admins. */
export const oidcClients = sqliteTable("oidc_clients", {
  clientId: text("client_id").primaryKey(),
  name: text("name").notNull(),
  /** SHA-256 of the client secret (hex); null for a public client (PKCE, no secret). */
  secretHash: text("secret_hash"),
  /** JSON arrays of exact URIs. */
  redirectUris: text("redirect_uris").notNull(),
  postLogoutRedirectUris: text("post_logout_redirect_uris").notNull().default(sql`'[]'`),
  /** The RESOURCES entries this client may ask tokens for (RFC 8707), as a JSON array. */
  resources: text("resources").notNull().default(sql`'[]'`),
  /** A first-party app skips the consent page. */
  firstParty: integer("first_party", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull(),
});

/** oidc-provider's models (one row per stored object), as its adapter interface needs them. */
export const oidcPayloads = sqliteTable(
  "oidc_payloads",
  {
    model: text("model").notNull(),
    id: text("id").notNull(),
    /** The model's JSON payload, as oidc-provider gave it. */
    payload: text("payload").notNull(),
    /** The grant the object belongs to (a Grant row names itself): revoking a grant deletes them all. */
    grantId: text("grant_id"),
    /** Sessions and interactions are also found by uid. */
    uid: text("uid"),
    userCode: text("user_code"),
    expiresAt: integer("expires_at"),
    consumedAt: integer("consumed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.model, t.id] }),
    index("oidc_payloads_grant_id").on(t.grantId),
    index("oidc_payloads_uid").on(t.uid),
    index("oidc_payloads_expires_at").on(t.expiresAt),
  ],
);

/** The platform session a person signed in with for an app: the grant lives while it does. */
export const oidcGrants = sqliteTable(
  "oidc_grants",
  {
    grantId: text("grant_id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientId: text("client_id")
      .notNull()
      .references(() => oidcClients.clientId, { onDelete: "cascade" }),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("oidc_grants_user_id").on(t.userId), index("oidc_grants_session_id").on(t.sessionId)],
);

/** The platform session behind an oidc-provider session (by its uid): it is signed in while that is live. */
export const oidcSessionLinks = sqliteTable(
  "oidc_session_links",
  {
    uid: text("uid").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
  },
  (t) => [index("oidc_session_links_session_id").on(t.sessionId)],
);

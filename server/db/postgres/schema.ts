// The PostgreSQL schema: the same tables, columns and meanings as the SQLite one (../schema.ts),
// in PostgreSQL's types. drizzle-kit generates server/db/migrations-postgres from this file.
// Times are bigint epoch milliseconds read as JS numbers; ids are text (a malformed id in a URL
// is then simply not found, never a cast error); insertion order, which SQLite reads from rowid,
// is an identity column where a query needs it.
import { sql } from "drizzle-orm";
import { bigint, boolean, customType, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

const millis = (name: string) => bigint(name, { mode: "number" });
const bytea = customType<{ data: Buffer }>({ dataType: () => "bytea" });

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  username: text("username").notNull().unique(),
  displayName: text("display_name").notNull(),
  /** WebAuthn user handle (base64url of 32 random bytes): never the username (WebAuthn §14.6.1). */
  webauthnUserId: text("webauthn_user_id").notNull().unique(),
  role: text("role", { enum: ["user", "admin"] })
    .notNull()
    .default("user"),
  blockedAt: millis("blocked_at"),
  createdAt: millis("created_at").notNull(),
});

export const passkeys = pgTable(
  "passkeys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    credentialId: text("credential_id").notNull().unique(),
    publicKey: bytea("public_key").notNull(),
    counter: bigint("counter", { mode: "number" }).notNull(),
    transports: text("transports").notNull().default("[]"),
    deviceType: text("device_type", { enum: ["singleDevice", "multiDevice"] }).notNull(),
    backedUp: boolean("backed_up").notNull(),
    aaguid: text("aaguid").notNull(),
    name: text("name").notNull(),
    createdAt: millis("created_at").notNull(),
    lastUsedAt: millis("last_used_at"),
  },
  (t) => [index("passkeys_user_id").on(t.userId)],
);

export const challenges = pgTable(
  "challenges",
  {
    challenge: text("challenge").primaryKey(),
    /** Insertion order: the bound on pending challenges keeps the newest. */
    seq: bigint("seq", { mode: "number" }).generatedAlwaysAsIdentity(),
    purpose: text("purpose", { enum: ["registration", "authentication", "passkey_add", "step_up", "recovery"] }).notNull(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    username: text("username"),
    displayName: text("display_name"),
    webauthnUserId: text("webauthn_user_id"),
    expiresAt: millis("expires_at").notNull(),
    createdAt: millis("created_at").notNull(),
  },
  (t) => [index("challenges_expires_at").on(t.expiresAt), index("challenges_seq").on(t.seq)],
);

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    /** Insertion order: the newest of sessions made in the same millisecond. */
    seq: bigint("seq", { mode: "number" }).generatedAlwaysAsIdentity(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    passkeyId: text("passkey_id").references(() => passkeys.id, { onDelete: "set null" }),
    createdAt: millis("created_at").notNull(),
    lastUsedAt: millis("last_used_at").notNull(),
    idleExpiresAt: millis("idle_expires_at").notNull(),
    expiresAt: millis("expires_at").notNull(),
    revokedAt: millis("revoked_at"),
    revokedReason: text("revoked_reason"),
    verifiedAt: millis("verified_at").notNull().default(0),
    userAgent: text("user_agent"),
    ip: text("ip"),
  },
  // expires_at: the scheduled purge finds ended sessions by it, a bounded batch at a time.
  (t) => [index("sessions_user_id").on(t.userId, t.createdAt), index("sessions_expires_at").on(t.expiresAt)],
);

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    parentId: text("parent_id"),
    createdAt: millis("created_at").notNull(),
    usedAt: millis("used_at"),
  },
  (t) => [index("refresh_tokens_session_id").on(t.sessionId)],
);

export const signingKeys = pgTable(
  "signing_keys",
  {
    kid: text("kid").primaryKey(),
    alg: text("alg").notNull(),
    publicJwk: text("public_jwk").notNull(),
    privateJwkEncrypted: text("private_jwk_encrypted").notNull(),
    createdAt: millis("created_at").notNull(),
    retiredAt: millis("retired_at"),
    /** When it was revoked (`npm run keys:revoke`): unpublished, and its tokens refused at once. */
    revokedAt: millis("revoked_at"),
  },
  // At most one current key, whatever instances do at once: every unretired row has the same
  // indexed value.
  (t) => [uniqueIndex("signing_keys_one_current").on(sql`(${t.retiredAt} IS NULL)`).where(sql`${t.retiredAt} IS NULL`)],
);

export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    type: text("type").notNull(),
    userId: text("user_id"),
    sessionId: text("session_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    detail: text("detail").notNull().default(sql`'{}'`),
    createdAt: millis("created_at").notNull(),
  },
  (t) => [index("audit_events_user_id").on(t.userId, t.id), index("audit_events_type").on(t.type, t.id)],
);

export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull().unique(),
    createdAt: millis("created_at").notNull(),
    usedAt: millis("used_at"),
  },
  (t) => [index("recovery_codes_user_id").on(t.userId)],
);

export const recoveryGrants = pgTable("recovery_grants", {
  id: text("id").primaryKey(),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: millis("created_at").notNull(),
  expiresAt: millis("expires_at").notNull(),
  usedAt: millis("used_at"),
});

/** Fixed-window rate-limit counters shared by every instance ("ip:…", "account:…" keys). */
export const rateLimitWindows = pgTable("rate_limit_windows", {
  key: text("key").primaryKey(),
  startedAt: millis("started_at").notNull(),
  count: integer("count").notNull(),
});

// The OpenID Provider's clients, state and links: see ../schema.ts.

export const oidcClients = pgTable("oidc_clients", {
  clientId: text("client_id").primaryKey(),
  name: text("name").notNull(),
  secretHash: text("secret_hash"),
  redirectUris: text("redirect_uris").notNull(),
  postLogoutRedirectUris: text("post_logout_redirect_uris").notNull().default("[]"),
  resources: text("resources").notNull().default("[]"),
  firstParty: boolean("first_party").notNull().default(false),
  createdAt: millis("created_at").notNull(),
});

export const oidcPayloads = pgTable(
  "oidc_payloads",
  {
    model: text("model").notNull(),
    id: text("id").notNull(),
    payload: text("payload").notNull(),
    grantId: text("grant_id"),
    uid: text("uid"),
    userCode: text("user_code"),
    expiresAt: millis("expires_at"),
    consumedAt: millis("consumed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.model, t.id] }),
    index("oidc_payloads_grant_id").on(t.grantId),
    index("oidc_payloads_uid").on(t.uid),
    index("oidc_payloads_expires_at").on(t.expiresAt),
  ],
);

export const oidcGrants = pgTable(
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
    createdAt: millis("created_at").notNull(),
  },
  (t) => [index("oidc_grants_user_id").on(t.userId), index("oidc_grants_session_id").on(t.sessionId)],
);

export const oidcSessionLinks = pgTable(
  "oidc_session_links",
  {
    uid: text("uid").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
  },
  (t) => [index("oidc_session_links_session_id").on(t.sessionId)],
);

// The storage interface the domain (server/auth) depends on. It speaks in records, not SQL, and
// is async so that a PostgreSQL store can implement it unchanged. Every method is one atomic
// step, and every invariant is kept inside one method, never by a read in the domain followed by
// a write: with several instances, or two requests interleaving at an await, a count-then-write
// in the domain is a race. Each method that decides on what it read says how it stays atomic
// (SQLite: the transaction starts as the writer, BEGIN IMMEDIATE; a conditional UPDATE otherwise).
import type { SessionEndReason } from "../../shared/audit-events.ts";
import type { Role } from "../../shared/schemas.ts";

/** registration: sign-up; passkey_add: another passkey while signed in; recovery: a passkey through a recovery grant. */
export type ChallengePurpose = "registration" | "authentication" | "passkey_add" | "step_up" | "recovery";

export type UserRecord = {
  id: string;
  username: string;
  displayName: string;
  webauthnUserId: string;
  role: Role;
  blockedAt: number | null;
  createdAt: number;
};

export type ChallengeRecord = {
  challenge: string;
  purpose: ChallengePurpose;
  userId: string | null;
  username: string | null;
  displayName: string | null;
  webauthnUserId: string | null;
  expiresAt: number;
  createdAt: number;
};

export type PasskeyRecord = {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  deviceType: "singleDevice" | "multiDevice";
  backedUp: boolean;
  aaguid: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
};

export type CredentialDescriptor = {
  credentialId: string;
  transports: string[];
};

export type NewSession = {
  id: string;
  userId: string;
  passkeyId: string | null;
  createdAt: number;
  idleExpiresAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
};

export type NewRefreshToken = {
  id: string;
  sessionId: string;
  tokenHash: string;
  parentId: string | null;
  createdAt: number;
};

/** A presented refresh token with what deciding about it needs from its session and user. */
export interface RefreshTokenLookup {
  id: string;
  sessionId: string;
  parentId: string | null;
  usedAt: number | null;
  session: {
    userId: string;
    createdAt: number;
    idleExpiresAt: number;
    expiresAt: number;
    revokedAt: number | null;
  };
  user: UserRecord;
}

export type SigningKeyRecord = {
  kid: string;
  alg: string;
  publicJwk: string;
  privateJwkEncrypted: string;
  createdAt: number;
  retiredAt: number | null;
  /** Set by `npm run keys:revoke`: never published or trusted again. */
  revokedAt: number | null;
};

export type AuditEventInput = {
  type: string;
  userId?: string | null;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  detail?: Record<string, unknown>;
  createdAt: number;
};

/** A session as its owner sees it in the session list. */
export type SessionSummary = {
  id: string;
  createdAt: number;
  lastUsedAt: number;
  idleExpiresAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
  passkeyId: string | null;
  passkeyName: string | null;
};

/** What a bearer request needs to know about its session, fresh from storage. */
export type SessionState = {
  userId: string;
  revokedAt: number | null;
  verifiedAt: number;
  idleExpiresAt: number;
  expiresAt: number;
  role: Role;
  blockedAt: number | null;
  /** The session's user as shown to them, read in the same step (GET /api/me needs no second read). */
  username: string;
  displayName: string;
  userCreatedAt: number;
  /** Whether the key that signed the presented token has been revoked (read in the same step). */
  keyRevoked: boolean;
};

export type PasskeyUse = { counter: number; backedUp: boolean; usedAt: number };
export type PasskeyUseOutcome = "recorded" | "counter_regression" | "not_found";

export type SessionCreation = {
  maxPerUser: number;
  now: number;
  /** Written in the same commit: the sign-in's event (when there is one) and one per evicted session. */
  audit?: { signedIn?: AuditEventInput; evicted(sessionId: string): AuditEventInput };
  assertion?: { challenge: string; passkeyId: string; use: PasskeyUse };
};

export type SessionCreated =
  | { outcome: "created"; evicted: string[] }
  | { outcome: "passkey_not_found" | "challenge_not_found" | "passkey_counter_regression" };

export type PurgeCounts = { sessions: number; challenges: number; recoveryGrants: number; auditEvents: number; oidcPayloads: number };

export type UserSummary = UserRecord & { passkeyCount: number; liveSessionCount: number };

export type AuditEventRecord = {
  id: number;
  type: string;
  userId: string | null;
  /** The user's current username (null when the event has no user). */
  username: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
  createdAt: number;
};

export type RegisterOutcome = "created" | "username_taken" | "passkey_already_registered";

export type RecoveryGrantRecord = {
  id: string;
  userId: string;
  tokenHash: string;
  createdAt: number;
  expiresAt: number;
};

/** An app registered with the OpenID Provider. */
export type OidcClientRecord = {
  clientId: string;
  name: string;
  /** SHA-256 (hex) of the client secret; null for a public client. */
  secretHash: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** RESOURCES entries it may ask access tokens for. */
  resources: string[];
  /** Skips the consent page. */
  firstParty: boolean;
  createdAt: number;
};

/** One stored oidc-provider object: its JSON payload as given, and when it was consumed. */
export type OidcPayloadRecord = { id: string; payload: string; consumedAt: number | null };

export type OidcPayloadUpsert = { payload: string; grantId: string | null; uid: string | null; userCode: string | null; expiresAt: number | null };

/** An app a person let in, through which of their sessions, since when. */
export type OidcAppGrant = { grantId: string; clientId: string; clientName: string; sessionId: string; createdAt: number };

export interface Store {
  users: {
    findByUsername(username: string): Promise<UserRecord | null>;
    findById(id: string): Promise<UserRecord | null>;
    /** How many admins are not blocked (the server says at start how to make the first one). */
    countActiveAdmins(): Promise<number>;
    /** Users whose username contains `search`, by username, with their passkey and live session counts. */
    list(query: { search: string; limit: number; offset: number; now: number }): Promise<{ users: UserSummary[]; total: number }>;
    findSummary(id: string, now: number): Promise<UserSummary | null>;
    /**
     * Sets the role and/or the block (`blockedAt`: a time blocks, null unblocks) in one step,
     * refusing a change that would leave no active (unblocked) admin unless `allowNoActiveAdmin`.
     * Blocking revokes the user's live sessions in the same step. Atomic: the admins are counted
     * in the writer transaction that changes the user, so two admins demoting or blocking each
     * other at once never leave zero.
     */
    change(input: {
      id: string;
      role?: Role;
      blockedAt?: number | null;
      allowNoActiveAdmin: boolean;
      now: number;
    }): Promise<
      { outcome: "not_found" } | { outcome: "last_admin" } | { outcome: "changed"; before: UserRecord; after: UserRecord; revokedSessionIds: string[] }
    >;
    /** Creates the user and its first passkey together, or neither. */
    createWithPasskey(user: UserRecord, passkey: PasskeyRecord): Promise<RegisterOutcome>;
  };
  challenges: {
    /**
     * Deletes expired challenges, inserts this one, and keeps at most `maxPending` (the newest):
     * a flood of options calls cannot grow the table without bound. One atomic step.
     */
    insert(challenge: ChallengeRecord, bounds: { now: number; maxPending: number }): Promise<void>;
    /** Deletes and returns the challenge: a second call for the same value finds nothing. */
    consume(challenge: string): Promise<ChallengeRecord | null>;
    /** Reads the challenge without using it up (a sign-in consumes it as it opens the session). */
    find(challenge: string): Promise<ChallengeRecord | null>;
    count(): Promise<number>;
  };
  passkeys: {
    findByCredentialId(credentialId: string): Promise<PasskeyRecord | null>;
    listDescriptorsForUser(userId: string): Promise<CredentialDescriptor[]>;
    /**
     * Records a verified use: the signature counter moves to `counter` only if that is higher than
     * the stored one (or both are 0: a passkey without a counter). A conditional update, so two
     * assertions carrying the same counter cannot both be recorded, and the counter never goes back.
     */
    recordUse(id: string, use: PasskeyUse): Promise<PasskeyUseOutcome>;
    listForUser(userId: string): Promise<PasskeyRecord[]>;
    insert(passkey: PasskeyRecord): Promise<"created" | "passkey_already_registered">;
    /** False when the user has no such passkey. */
    rename(input: { id: string; userId: string; name: string }): Promise<boolean>;
    /**
     * Deletes the user's passkey unless it is their last one, revoking the live sessions it
     * opened (except `keepSessionId`); returns the revoked session ids. Counted and deleted in one
     * writer transaction: two deletions cannot both leave the other as the last.
     */
    deleteUnlessLast(input: {
      id: string;
      userId: string;
      keepSessionId: string;
      now: number;
    }): Promise<{ outcome: "deleted"; revokedSessionIds: string[] } | { outcome: "not_found" | "last_passkey" }>;
  };
  recovery: {
    /** Replaces all the user's recovery codes with these hashes. */
    replaceCodes(userId: string, codeHashes: string[], now: number): Promise<void>;
    /** Marks the user's unused code with this hash used; false if there is none. */
    useCode(userId: string, codeHash: string, now: number): Promise<boolean>;
    countUnusedCodes(userId: string): Promise<number>;
    insertGrant(grant: RecoveryGrantRecord): Promise<void>;
    /** The user an unused, unexpired grant belongs to. */
    findGrantUser(tokenHash: string, now: number): Promise<string | null>;
    /** Uses the grant (once): the user it belongs to, or null if unknown, used or expired. */
    consumeGrant(tokenHash: string, now: number): Promise<string | null>;
  };
  sessions: {
    /**
     * Creates a session with its first refresh token, then revokes the oldest live sessions past
     * `maxPerUser` (the new one always stays); returns their ids. One writer transaction (on
     * PostgreSQL the user's row locked, as passkey deletion does), one commit, which also writes
     * `audit` (the sign-in's event, one per evicted session) and, for a passkey sign-in
     * (`assertion`), consumes its challenge and records the passkey's use as recordUse does.
     * Nothing of the session is written when the challenge was already used, the counter did not
     * grow, or the session's passkey is gone (deleted while the sign-in ran); a consumed challenge
     * stays consumed.
     */
    create(session: NewSession, token: NewRefreshToken, options: SessionCreation): Promise<SessionCreated>;
    findRefreshToken(tokenHash: string): Promise<RefreshTokenLookup | null>;
    /** The session's state, with whether signing key `kid` is revoked: one read per bearer request. */
    findState(sessionId: string, kid: string): Promise<SessionState | null>;
    /** How many sessions, of all users, are neither revoked nor expired. */
    countLive(now: number): Promise<number>;
    /** The user's sessions that are neither revoked nor expired, newest first. */
    listLiveForUser(userId: string, now: number): Promise<SessionSummary[]>;
    /** Records a fresh proof of user verification (step-up) in the session. */
    setVerifiedAt(sessionId: string, now: number): Promise<void>;
    /** The owner of a session, or null when there is no such session. */
    findOwner(sessionId: string): Promise<string | null>;
    /**
     * Marks `presentedId` used and stores its successor, only if it was still unused and its
     * session is not revoked; false (nothing written) otherwise. The audit event is written in the
     * same transaction: no refresh without its event. Rotations asked for in one event-loop turn
     * may share one commit; each resolves once its own is committed.
     */
    rotate(input: { presentedId: string; successor: NewRefreshToken; idleExpiresAt: number; now: number; audit: AuditEventInput }): Promise<boolean>;
    /** Revokes a live session; false if it was already ended. */
    revoke(sessionId: string, reason: SessionEndReason, now: number): Promise<boolean>;
    /** Revokes every live session of the user; returns their ids. */
    revokeAllForUser(userId: string, reason: SessionEndReason, now: number): Promise<string[]>;
  };
  signingKeys: {
    list(): Promise<SigningKeyRecord[]>;
    /** Stores `key` as the current key only if no key is current; false (nothing written) otherwise. */
    insertIfNoneCurrent(key: SigningKeyRecord): Promise<boolean>;
    /**
     * Retires `currentKid` and inserts `next` as the current key, atomically; false (and nothing
     * written) when `currentKid` is no longer current (another instance rotated first).
     */
    rotate(input: { currentKid: string; retiredAt: number; next: SigningKeyRecord }): Promise<boolean>;
    /** Revokes a retired key (retiring it first if current); false if there is no such key or it was already revoked. */
    revoke(kid: string, now: number): Promise<boolean>;
  };
  rateLimits: {
    /**
     * Counts one hit for `key` in its fixed window (a new window starts when the last one is
     * `windowMs` old) and returns the window's count and start. Every instance sharing this store
     * counts into the same windows: an atomic increment (SQLite: one process owns the file, so the
     * counts live in its memory, bounded; PostgreSQL: one UPSERT for all the hits of an event-loop
     * turn).
     */
    hit(input: { key: string; now: number; windowMs: number }): Promise<{ count: number; startedAt: number }>;
  };
  maintenance: {
    /**
     * Deletes, at most `limit` rows per table, what has ended: sessions past their absolute
     * expiry (with their refresh tokens), expired challenges, recovery grants and OpenID Provider
     * objects (codes, tokens, its sessions and interactions), and audit events
     * created before `auditBefore` (null keeps them all) among the oldest `limit`. Returns how
     * many rows of each went. Safe to run on several instances at once.
     */
    purge(input: { now: number; auditBefore: number | null; limit: number }): Promise<PurgeCounts>;
  };
  /**
   * The OpenID Provider's state. The payload methods are oidc-provider's adapter contract
   * (server/oidc/adapter.ts); expired rows are never found. Grants and oidc-provider sessions are
   * linked to the platform session they were made in: revoking a platform session (any path
   * through sessions, users or passkeys) deletes its grants, their codes and tokens, and its
   * oidc-provider sessions in the same transaction.
   */
  oidc: {
    upsert(model: string, id: string, row: OidcPayloadUpsert): Promise<void>;
    find(model: string, id: string, now: number): Promise<OidcPayloadRecord | null>;
    findBy(model: string, by: { uid: string } | { userCode: string }, now: number): Promise<OidcPayloadRecord | null>;
    consume(model: string, id: string, now: number): Promise<void>;
    destroy(model: string, id: string): Promise<void>;
    /** Deletes every object of the grant, the grant itself and its link. */
    revokeGrant(grantId: string): Promise<void>;
    /** Records (or moves) the platform session a grant was last given in. */
    linkGrant(link: { grantId: string; userId: string; clientId: string; sessionId: string; createdAt: number }): Promise<void>;
    /** Records the platform session an oidc-provider session (by uid) signed in with. */
    linkSession(uid: string, sessionId: string): Promise<void>;
    sessionOfGrant(grantId: string): Promise<string | null>;
    sessionOfProviderSession(uid: string): Promise<string | null>;
    /** The user's grants with their app's name, newest first. */
    listGrantsOfUser(userId: string): Promise<OidcAppGrant[]>;
    clients: {
      /** False (nothing written) when the id is taken. */
      insert(client: OidcClientRecord): Promise<boolean>;
      find(clientId: string): Promise<OidcClientRecord | null>;
      list(): Promise<OidcClientRecord[]>;
      /** Deletes the client with every grant and token it holds; false if there was none. */
      delete(clientId: string): Promise<boolean>;
    };
  };
  audit: {
    record(event: AuditEventInput): Promise<void>;
    /** Newest first; `beforeId` pages backwards. */
    list(query: { userId?: string; type?: string; beforeId?: number; limit: number }): Promise<AuditEventRecord[]>;
  };
}

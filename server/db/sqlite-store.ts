// The Store over SQLite: every statement prepared once, each Store method one atomic step.
import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { SqliteDb } from "./client.ts";
import { auditEvents, challenges, passkeys, recoveryCodes, recoveryGrants, refreshTokens, sessions, signingKeys, users } from "./schema.ts";
import type { AuditEventInput, AuditEventRecord, PasskeyRecord, RefreshTokenLookup, SessionState, Store, UserRecord, UserSummary } from "./store.ts";

const p = sql.placeholder;

const userColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  webauthnUserId: users.webauthnUserId,
  role: users.role,
  blockedAt: users.blockedAt,
  createdAt: users.createdAt,
};

function isUniqueViolation(error: unknown, column: string): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === "SQLITE_CONSTRAINT_UNIQUE" && (e.message ?? "").includes(column);
}

function toPasskey(row: typeof passkeys.$inferSelect): PasskeyRecord {
  return { ...row, publicKey: new Uint8Array(row.publicKey), transports: JSON.parse(row.transports) as string[] };
}

/** `%term%` for LIKE, with the wildcards in `term` itself escaped (paired with ESCAPE '\\'). */
function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const isLive = (now: ReturnType<typeof p>) => and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now), gt(sessions.idleExpiresAt, now));

function toPasskeyRow(passkey: PasskeyRecord): typeof passkeys.$inferInsert {
  return { ...passkey, publicKey: Buffer.from(passkey.publicKey), transports: JSON.stringify(passkey.transports) };
}

export function createSqliteStore(db: SqliteDb): Store {
  const usernameContains = sql`${users.username} LIKE ${p("pattern")} ESCAPE '\\'`;
  const selectUserSummaries = () =>
    db
      .select({
        ...userColumns,
        // Correlated on "users"."id" written out: drizzle renders ${users.id} unqualified here.
        passkeyCount: sql<number>`(SELECT count(*) FROM passkeys WHERE passkeys.user_id = "users"."id")`,
        liveSessionCount: sql<number>`(SELECT count(*) FROM sessions WHERE sessions.user_id = "users"."id"
          AND sessions.revoked_at IS NULL AND sessions.expires_at > ${p("now")} AND sessions.idle_expires_at > ${p("now")})`,
      })
      .from(users);
  const q = {
    listUsers: selectUserSummaries().where(usernameContains).orderBy(asc(users.username)).limit(p("limit")).offset(p("offset")).prepare(),
    userSummary: selectUserSummaries()
      .where(eq(users.id, p("id")))
      .prepare(),
    countUsers: db.select({ n: sql<number>`count(*)` }).from(users).where(usernameContains).prepare(),
    setRole: db
      .update(users)
      .set({ role: sql`${p("role")}` })
      .where(eq(users.id, p("id")))
      .prepare(),
    setBlockedAt: db
      .update(users)
      .set({ blockedAt: sql`${p("blockedAt")}` })
      .where(eq(users.id, p("id")))
      .prepare(),
    countActiveAdmins: db
      .select({ n: sql<number>`count(*)` })
      .from(users)
      .where(and(eq(users.role, "admin"), isNull(users.blockedAt)))
      .prepare(),
    sessionState: db
      .select({
        userId: sessions.userId,
        revokedAt: sessions.revokedAt,
        verifiedAt: sessions.verifiedAt,
        idleExpiresAt: sessions.idleExpiresAt,
        expiresAt: sessions.expiresAt,
        role: users.role,
        blockedAt: users.blockedAt,
        username: users.username,
        displayName: users.displayName,
        userCreatedAt: users.createdAt,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, p("id")))
      .prepare(),
    liveSessionsOfUser: db
      .select({
        id: sessions.id,
        createdAt: sessions.createdAt,
        lastUsedAt: sessions.lastUsedAt,
        idleExpiresAt: sessions.idleExpiresAt,
        expiresAt: sessions.expiresAt,
        userAgent: sessions.userAgent,
        ip: sessions.ip,
        passkeyId: sessions.passkeyId,
        passkeyName: passkeys.name,
      })
      .from(sessions)
      .leftJoin(passkeys, eq(passkeys.id, sessions.passkeyId))
      .where(and(eq(sessions.userId, p("userId")), isLive(p("now"))))
      .orderBy(desc(sessions.createdAt), desc(sql`${sessions}.rowid`))
      .prepare(),
    setVerifiedAt: db
      .update(sessions)
      .set({ verifiedAt: sql`${p("now")}` })
      .where(eq(sessions.id, p("id")))
      .prepare(),
    passkeysOfUser: db
      .select()
      .from(passkeys)
      .where(eq(passkeys.userId, p("userId")))
      .orderBy(asc(passkeys.createdAt))
      .prepare(),
    renamePasskey: db
      .update(passkeys)
      .set({ name: sql`${p("name")}` })
      .where(and(eq(passkeys.id, p("id")), eq(passkeys.userId, p("userId"))))
      .prepare(),
    countPasskeys: db
      .select({ n: sql<number>`count(*)` })
      .from(passkeys)
      .where(eq(passkeys.userId, p("userId")))
      .prepare(),
    deletePasskey: db
      .delete(passkeys)
      .where(and(eq(passkeys.id, p("id")), eq(passkeys.userId, p("userId"))))
      .prepare(),
    deleteRecoveryCodes: db
      .delete(recoveryCodes)
      .where(eq(recoveryCodes.userId, p("userId")))
      .prepare(),
    useRecoveryCode: db
      .update(recoveryCodes)
      .set({ usedAt: sql`${p("now")}` })
      .where(and(eq(recoveryCodes.userId, p("userId")), eq(recoveryCodes.codeHash, p("codeHash")), isNull(recoveryCodes.usedAt)))
      .prepare(),
    countUnusedCodes: db
      .select({ n: sql<number>`count(*)` })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, p("userId")), isNull(recoveryCodes.usedAt)))
      .prepare(),
    grantUser: db
      .select({ userId: recoveryGrants.userId })
      .from(recoveryGrants)
      .where(and(eq(recoveryGrants.tokenHash, p("tokenHash")), isNull(recoveryGrants.usedAt), gt(recoveryGrants.expiresAt, p("now"))))
      .prepare(),
    consumeGrant: db
      .update(recoveryGrants)
      .set({ usedAt: sql`${p("now")}` })
      .where(and(eq(recoveryGrants.tokenHash, p("tokenHash")), isNull(recoveryGrants.usedAt), gt(recoveryGrants.expiresAt, p("now"))))
      .returning({ userId: recoveryGrants.userId })
      .prepare(),
    sessionOwner: db
      .select({ userId: sessions.userId })
      .from(sessions)
      .where(eq(sessions.id, p("id")))
      .prepare(),
    listAudit: db
      .select({
        id: auditEvents.id,
        type: auditEvents.type,
        userId: auditEvents.userId,
        username: users.username,
        sessionId: auditEvents.sessionId,
        ip: auditEvents.ip,
        userAgent: auditEvents.userAgent,
        detail: auditEvents.detail,
        createdAt: auditEvents.createdAt,
      })
      .from(auditEvents)
      .leftJoin(users, eq(users.id, auditEvents.userId))
      .where(
        and(
          sql`(${p("userId")} IS NULL OR ${auditEvents.userId} = ${p("userId")})`,
          sql`(${p("type")} IS NULL OR ${auditEvents.type} = ${p("type")})`,
          sql`(${p("beforeId")} IS NULL OR ${auditEvents.id} < ${p("beforeId")})`,
        ),
      )
      .orderBy(desc(auditEvents.id))
      .limit(p("limit"))
      .prepare(),
    userByUsername: db
      .select(userColumns)
      .from(users)
      .where(eq(users.username, p("username")))
      .prepare(),
    userById: db
      .select(userColumns)
      .from(users)
      .where(eq(users.id, p("id")))
      .prepare(),
    insertChallenge: db
      .insert(challenges)
      .values({
        challenge: p("challenge"),
        purpose: p("purpose"),
        userId: p("userId"),
        username: p("username"),
        displayName: p("displayName"),
        webauthnUserId: p("webauthnUserId"),
        expiresAt: p("expiresAt"),
        createdAt: p("createdAt"),
      })
      .prepare(),
    consumeChallenge: db
      .delete(challenges)
      .where(eq(challenges.challenge, p("challenge")))
      .returning()
      .prepare(),
    deleteExpiredChallenges: db
      .delete(challenges)
      .where(lt(challenges.expiresAt, p("now")))
      .prepare(),
    // rowid grows with each insert, so the rows at or below max(rowid) - maxPending are the oldest.
    trimChallenges: db
      .delete(challenges)
      .where(sql`rowid <= (SELECT max(rowid) FROM ${challenges}) - ${p("maxPending")}`)
      .prepare(),
    countChallenges: db.select({ n: sql<number>`count(*)` }).from(challenges).prepare(),
    passkeyByCredentialId: db
      .select()
      .from(passkeys)
      .where(eq(passkeys.credentialId, p("credentialId")))
      .prepare(),
    passkeyDescriptors: db
      .select({ credentialId: passkeys.credentialId, transports: passkeys.transports })
      .from(passkeys)
      .where(eq(passkeys.userId, p("userId")))
      .orderBy(asc(passkeys.createdAt))
      .prepare(),
    recordPasskeyUse: db
      .update(passkeys)
      .set({ counter: sql`${p("counter")}`, backedUp: sql`${p("backedUp")}`, lastUsedAt: sql`${p("usedAt")}` })
      .where(eq(passkeys.id, p("id")))
      .prepare(),
    insertSession: db
      .insert(sessions)
      .values({
        id: p("id"),
        userId: p("userId"),
        passkeyId: p("passkeyId"),
        createdAt: p("createdAt"),
        lastUsedAt: p("createdAt"),
        verifiedAt: p("createdAt"),
        idleExpiresAt: p("idleExpiresAt"),
        expiresAt: p("expiresAt"),
        userAgent: p("userAgent"),
        ip: p("ip"),
      })
      .prepare(),
    countLiveSessions: db
      .select({ n: sql<number>`count(*)` })
      .from(sessions)
      .where(isLive(p("now")))
      .prepare(),
    liveSessionIdsNewestFirst: db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.userId, p("userId")), isLive(p("now"))))
      .orderBy(desc(sessions.createdAt), desc(sql`${sessions}.rowid`))
      .prepare(),
    insertToken: db
      .insert(refreshTokens)
      .values({
        id: p("id"),
        sessionId: p("sessionId"),
        tokenHash: p("tokenHash"),
        parentId: p("parentId"),
        createdAt: p("createdAt"),
      })
      .prepare(),
    tokenByHash: db
      .select({
        id: refreshTokens.id,
        sessionId: refreshTokens.sessionId,
        parentId: refreshTokens.parentId,
        usedAt: refreshTokens.usedAt,
        discardedAt: refreshTokens.discardedAt,
        session: {
          userId: sessions.userId,
          createdAt: sessions.createdAt,
          idleExpiresAt: sessions.idleExpiresAt,
          expiresAt: sessions.expiresAt,
          revokedAt: sessions.revokedAt,
        },
        user: userColumns,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(refreshTokens.tokenHash, p("tokenHash")))
      .prepare(),
    markTokenUsed: db
      .update(refreshTokens)
      .set({ usedAt: sql`${p("now")}` })
      .where(and(eq(refreshTokens.id, p("id")), isNull(refreshTokens.usedAt), isNull(refreshTokens.discardedAt)))
      .prepare(),
    discardUnusedChild: db
      .update(refreshTokens)
      .set({ discardedAt: sql`${p("now")}` })
      .where(
        and(
          eq(refreshTokens.sessionId, p("sessionId")),
          eq(refreshTokens.parentId, p("parentId")),
          isNull(refreshTokens.usedAt),
          isNull(refreshTokens.discardedAt),
        ),
      )
      .prepare(),
    touchSession: db
      .update(sessions)
      .set({ lastUsedAt: sql`${p("now")}`, idleExpiresAt: sql`${p("idleExpiresAt")}` })
      .where(eq(sessions.id, p("id")))
      .prepare(),
    revokeSession: db
      .update(sessions)
      .set({ revokedAt: sql`${p("now")}`, revokedReason: sql`${p("reason")}` })
      .where(and(eq(sessions.id, p("id")), isNull(sessions.revokedAt)))
      .prepare(),
    listSigningKeys: db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).prepare(),
    insertSigningKey: db
      .insert(signingKeys)
      .values({
        kid: p("kid"),
        alg: p("alg"),
        publicJwk: p("publicJwk"),
        privateJwkEncrypted: p("privateJwkEncrypted"),
        createdAt: p("createdAt"),
        retiredAt: p("retiredAt"),
      })
      .prepare(),
    retireSigningKey: db
      .update(signingKeys)
      .set({ retiredAt: sql`${p("retiredAt")}` })
      .where(and(eq(signingKeys.kid, p("kid")), isNull(signingKeys.retiredAt)))
      .prepare(),
    insertAudit: db
      .insert(auditEvents)
      .values({
        type: p("type"),
        userId: p("userId"),
        sessionId: p("sessionId"),
        ip: p("ip"),
        userAgent: p("userAgent"),
        detail: p("detail"),
        createdAt: p("createdAt"),
      })
      .prepare(),
  };

  const insertAudit = (event: AuditEventInput) => {
    q.insertAudit.run({
      type: event.type,
      userId: event.userId ?? null,
      sessionId: event.sessionId ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent ?? null,
      detail: JSON.stringify(event.detail ?? {}),
      createdAt: event.createdAt,
    });
  };
  const revokeLiveSessions = (ids: string[], reason: string, now: number) => {
    for (const id of ids) q.revokeSession.run({ id, reason, now });
  };

  return {
    users: {
      findByUsername: async (username) => (q.userByUsername.get({ username }) as UserRecord | undefined) ?? null,
      findById: async (id) => (q.userById.get({ id }) as UserRecord | undefined) ?? null,
      list: async ({ search, limit, offset, now }) => {
        const pattern = containsPattern(search);
        return {
          users: q.listUsers.all({ pattern, limit, offset, now }) as UserSummary[],
          total: q.countUsers.get({ pattern })?.n ?? 0,
        };
      },
      findSummary: async (id, now) => (q.userSummary.get({ id, now }) as UserSummary | undefined) ?? null,
      setRole: async (id, role) => {
        q.setRole.run({ id, role });
      },
      setBlockedAt: async (id, blockedAt) => {
        q.setBlockedAt.run({ id, blockedAt });
      },
      countActiveAdmins: async () => q.countActiveAdmins.get()?.n ?? 0,
      createWithPasskey: async (user, passkey) => {
        try {
          db.transaction((tx) => {
            tx.insert(users).values(user).run();
            tx.insert(passkeys).values(toPasskeyRow(passkey)).run();
          });
          return "created";
        } catch (error) {
          if (isUniqueViolation(error, "users.username")) return "username_taken";
          if (isUniqueViolation(error, "passkeys.credential_id")) return "passkey_already_registered";
          throw error;
        }
      },
    },
    challenges: {
      insert: async (challenge, { now, maxPending }) => {
        db.transaction(() => {
          q.deleteExpiredChallenges.run({ now });
          q.insertChallenge.run(challenge);
          q.trimChallenges.run({ maxPending });
        });
      },
      consume: async (challenge) => q.consumeChallenge.get({ challenge }) ?? null,
      count: async () => q.countChallenges.get()?.n ?? 0,
    },
    passkeys: {
      findByCredentialId: async (credentialId) => {
        const row = q.passkeyByCredentialId.get({ credentialId });
        return row ? toPasskey(row) : null;
      },
      listDescriptorsForUser: async (userId) =>
        q.passkeyDescriptors.all({ userId }).map((row) => ({ credentialId: row.credentialId, transports: JSON.parse(row.transports) as string[] })),
      recordUse: async (id, use) => {
        q.recordPasskeyUse.run({ id, counter: use.counter, backedUp: use.backedUp ? 1 : 0, usedAt: use.usedAt });
      },
      listForUser: async (userId) => q.passkeysOfUser.all({ userId }).map(toPasskey),
      insert: async (passkey) => {
        try {
          db.insert(passkeys).values(toPasskeyRow(passkey)).run();
          return "created";
        } catch (error) {
          if (isUniqueViolation(error, "passkeys.credential_id")) return "passkey_already_registered";
          throw error;
        }
      },
      rename: async ({ id, userId, name }) => q.renamePasskey.run({ id, userId, name }).changes === 1,
      deleteUnlessLast: async ({ id, userId, keepSessionId, now }) =>
        db.transaction(() => {
          const owned = q.passkeysOfUser.all({ userId }).some((passkey) => passkey.id === id);
          if (!owned) return { outcome: "not_found" as const };
          if ((q.countPasskeys.get({ userId })?.n ?? 0) <= 1) return { outcome: "last_passkey" as const };
          const opened = q.liveSessionsOfUser.all({ userId, now }).filter((s) => s.passkeyId === id && s.id !== keepSessionId);
          revokeLiveSessions(
            opened.map((s) => s.id),
            "passkey_removed",
            now,
          );
          q.deletePasskey.run({ id, userId });
          return { outcome: "deleted" as const, revokedSessionIds: opened.map((s) => s.id) };
        }),
    },
    recovery: {
      replaceCodes: async (userId, codeHashes, now) => {
        db.transaction((tx) => {
          q.deleteRecoveryCodes.run({ userId });
          for (const codeHash of codeHashes) tx.insert(recoveryCodes).values({ id: randomUUID(), userId, codeHash, createdAt: now }).run();
        });
      },
      useCode: async (userId, codeHash, now) => q.useRecoveryCode.run({ userId, codeHash, now }).changes === 1,
      countUnusedCodes: async (userId) => q.countUnusedCodes.get({ userId })?.n ?? 0,
      insertGrant: async (grant) => {
        db.insert(recoveryGrants).values(grant).run();
      },
      findGrantUser: async (tokenHash, now) => q.grantUser.get({ tokenHash, now })?.userId ?? null,
      consumeGrant: async (tokenHash, now) => q.consumeGrant.get({ tokenHash, now })?.userId ?? null,
    },
    sessions: {
      countLive: async (now) => q.countLiveSessions.get({ now })?.n ?? 0,
      create: async (session, token, { maxPerUser, now }) =>
        db.transaction(() => {
          q.insertSession.run(session);
          q.insertToken.run(token);
          // The new session always stays; the oldest of the others go past the limit.
          const others = q.liveSessionIdsNewestFirst
            .all({ userId: session.userId, now })
            .map((row) => row.id)
            .filter((id) => id !== session.id);
          const evicted = others.slice(maxPerUser - 1);
          revokeLiveSessions(evicted, "session_limit", now);
          return evicted;
        }),
      findRefreshToken: async (tokenHash) => (q.tokenByHash.get({ tokenHash }) as RefreshTokenLookup | undefined) ?? null,
      findState: async (id) => (q.sessionState.get({ id }) as SessionState | undefined) ?? null,
      listLiveForUser: async (userId, now) => q.liveSessionsOfUser.all({ userId, now }),
      findOwner: async (id) => q.sessionOwner.get({ id })?.userId ?? null,
      setVerifiedAt: async (id, now) => {
        q.setVerifiedAt.run({ id, now });
      },
      rotate: async ({ presentedId, successor, idleExpiresAt, now, audit }) =>
        db.transaction(() => {
          if (q.markTokenUsed.run({ id: presentedId, now }).changes !== 1) return false;
          q.insertToken.run(successor);
          q.touchSession.run({ id: successor.sessionId, now, idleExpiresAt });
          insertAudit(audit);
          return true;
        }),
      replaceUnusedSuccessor: async ({ successor, idleExpiresAt, now, audit }) =>
        db.transaction(() => {
          const discarded = q.discardUnusedChild.run({ sessionId: successor.sessionId, parentId: successor.parentId, now });
          if (discarded.changes !== 1) return false;
          q.insertToken.run(successor);
          q.touchSession.run({ id: successor.sessionId, now, idleExpiresAt });
          insertAudit(audit);
          return true;
        }),
      revoke: async (sessionId, reason, now) => q.revokeSession.run({ id: sessionId, reason, now }).changes === 1,
      revokeAllForUser: async (userId, reason, now) =>
        db.transaction(() => {
          const live = q.liveSessionIdsNewestFirst.all({ userId, now }).map((row) => row.id);
          revokeLiveSessions(live, reason, now);
          return live;
        }),
    },
    signingKeys: {
      list: async () => q.listSigningKeys.all(),
      insert: async (key) => {
        q.insertSigningKey.run(key);
      },
      rotate: async ({ currentKid, retiredAt, next }) =>
        db.transaction(() => {
          if (q.retireSigningKey.run({ kid: currentKid, retiredAt }).changes !== 1) return false;
          q.insertSigningKey.run(next);
          return true;
        }),
    },
    audit: {
      record: async (event) => insertAudit(event),
      list: async ({ userId, type, beforeId, limit }) =>
        q.listAudit
          .all({ userId: userId ?? null, type: type ?? null, beforeId: beforeId ?? null, limit })
          .map((row): AuditEventRecord => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> })),
    },
  };
}

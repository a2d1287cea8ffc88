// Every HTTP operation of the API: its route, who may call it, the schema its body or query is
// validated with (the routes read them from here), its answer and its errors. /openapi.json is
// generated from this table, so the reference cannot drift from what the server checks.
import type * as v from "valibot";
import type { ErrorCode } from "./error-codes.ts";
import { DEFAULT_CHALLENGE_TTL_SECONDS, inWords, RECENT_VERIFICATION_SECONDS, RECOVERY_GRANT_TTL_SECONDS, REFRESH_GRACE_SECONDS } from "./limits.ts";
import { ROUTES } from "./routes.ts";
import {
  RefreshRequest,
  AdminUser,
  AdminUserPage,
  AdminUserPatch,
  AdminUsersQuery,
  AuditEventList,
  AuditPage,
  AuditQuery,
  AuthenticationResponse,
  CreationOptions,
  Health,
  Jwks,
  LoginOptionsRequest,
  OpenIdConfiguration,
  PasskeyInfo,
  PasskeyList,
  PasskeyRename,
  PublicUser,
  RecoverRequest,
  RecoveryCodes,
  RecoveryCodesLeft,
  RecoveryGrant,
  RecoveryOptionsRequest,
  RecoveryVerifyRequest,
  RegisterOptionsRequest,
  RegistrationResponse,
  RequestOptions,
  SessionList,
  SignUpResponse,
  TokenResponse,
} from "./schemas.ts";

/**
 * none: anyone. cookie: the __Host-refresh cookie, from our own origin (CSRF-checked).
 * bearer: an access token whose session is live. admin: the same, with the admin role.
 */
export type Access = "none" | "cookie" | "bearer" | "admin";

export interface Operation {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  /** Needs a recent passkey verification (RECENT_VERIFICATION_SECONDS; else 403 reauthentication_required). */
  recentVerification?: boolean;
  /** Also accepts the recovery grant in the body instead of any session. */
  body?: v.GenericSchema;
  query?: v.GenericSchema;
  /** The success answer; no schema means an empty body (204) or a non-JSON one. */
  success: { status: 200 | 201 | 204; schema?: v.GenericSchema; description: string; contentType?: string };
  /** Errors particular to this operation; those of its access kind, body and rate limit are added. */
  errors?: ErrorCode[];
  /** Sets or clears the refresh cookie. */
  setsCookie?: boolean;
}

const WEBAUTHN_FAILURES: ErrorCode[] = ["challenge_not_found", "challenge_expired", "challenge_purpose_mismatch", "passkey_verification_failed"];

export const OPERATIONS = {
  registerOptions: {
    method: "post",
    path: ROUTES.registerOptions,
    tag: "Ceremonies",
    access: "none",
    summary: "Start a sign-up: creation options for a new passkey",
    body: RegisterOptionsRequest,
    success: {
      status: 200,
      schema: CreationOptions,
      description: `Options for navigator.credentials.create (a fresh 32-byte challenge, valid ${inWords(DEFAULT_CHALLENGE_TTL_SECONDS)} by default).`,
    },
    errors: ["username_taken"],
  },
  registerVerify: {
    method: "post",
    path: ROUTES.registerVerify,
    tag: "Ceremonies",
    access: "none",
    setsCookie: true,
    summary: "Finish a sign-up: the new passkey creates the account and a session",
    body: RegistrationResponse,
    success: { status: 200, schema: SignUpResponse, description: "Signed in; the refresh token is set in the __Host-refresh cookie." },
    errors: [...WEBAUTHN_FAILURES, "username_taken", "passkey_already_registered"],
  },
  loginOptions: {
    method: "post",
    path: ROUTES.loginOptions,
    tag: "Ceremonies",
    access: "none",
    summary: "Start a sign-in: request options (no username for a discoverable / autofill sign-in)",
    description: "An unknown username is answered exactly like a known one, with stable decoy credentials; a blocked account is answered 403 account_blocked.",
    body: LoginOptionsRequest,
    success: { status: 200, schema: RequestOptions, description: "Options for navigator.credentials.get." },
    errors: ["account_blocked"],
  },
  loginVerify: {
    method: "post",
    path: ROUTES.loginVerify,
    tag: "Ceremonies",
    access: "none",
    setsCookie: true,
    summary: "Finish a sign-in with a passkey assertion",
    body: AuthenticationResponse,
    success: { status: 200, schema: TokenResponse, description: "Signed in; the refresh token is set in the __Host-refresh cookie." },
    errors: [...WEBAUTHN_FAILURES, "passkey_not_found", "passkey_counter_regression", "account_blocked"],
  },
  refresh: {
    method: "post",
    path: ROUTES.refresh,
    tag: "Session",
    access: "cookie",
    setsCookie: true,
    summary: "Rotate the refresh token and get a new access token",
    description: `Presenting a rotated token again revokes the session (reuse), except a retry within ${inWords(REFRESH_GRACE_SECONDS)} whose successor was never used. The access token is for this platform's API unless the body names a registered \`resource\` (RFC 8707): then it is for that service alone.`,
    body: RefreshRequest,
    success: { status: 200, schema: TokenResponse, description: "A new access token; the rotated refresh token in the cookie." },
    errors: [
      "invalid_target",
      "refresh_token_missing",
      "refresh_token_invalid",
      "refresh_token_reused",
      "session_expired",
      "session_revoked",
      "account_blocked",
    ],
  },
  logout: {
    method: "post",
    path: ROUTES.logout,
    tag: "Session",
    access: "cookie",
    setsCookie: true,
    summary: "Sign out: revoke this session and clear the cookie",
    success: { status: 204, description: "Signed out (also when there was no session)." },
  },
  logoutAll: {
    method: "post",
    path: ROUTES.logoutAll,
    tag: "Session",
    access: "bearer",
    recentVerification: true,
    summary: "Sign out everywhere: revoke every session of the user",
    success: { status: 204, description: "Every session ended." },
  },
  stepUpOptions: {
    method: "post",
    path: ROUTES.stepUpOptions,
    tag: "Session",
    access: "bearer",
    summary: "Start a step-up: prove user verification again, without a new session",
    success: { status: 200, schema: RequestOptions, description: "Options for navigator.credentials.get, limited to the user's passkeys." },
  },
  stepUpVerify: {
    method: "post",
    path: ROUTES.stepUpVerify,
    tag: "Session",
    access: "bearer",
    summary: `Finish a step-up: the session counts as recently verified for ${inWords(RECENT_VERIFICATION_SECONDS)}`,
    body: AuthenticationResponse,
    success: { status: 204, description: "Verified." },
    errors: [...WEBAUTHN_FAILURES, "passkey_not_found", "passkey_counter_regression"],
  },
  recover: {
    method: "post",
    path: ROUTES.recover,
    tag: "Recovery",
    access: "none",
    summary: "Exchange a recovery code for a short grant to register a new passkey",
    description: "A wrong code and an unknown username get the same answer; a blocked account is answered 403 account_blocked.",
    body: RecoverRequest,
    success: { status: 200, schema: RecoveryGrant, description: `The grant (${inWords(RECOVERY_GRANT_TTL_SECONDS)}, one passkey).` },
    errors: ["recovery_failed"],
  },
  recoverOptions: {
    method: "post",
    path: ROUTES.recoverOptions,
    tag: "Recovery",
    access: "none",
    summary: "Creation options for the passkey a recovery grant allows",
    body: RecoveryOptionsRequest,
    success: { status: 200, schema: CreationOptions, description: "Options for navigator.credentials.create." },
    errors: ["recovery_grant_invalid"],
  },
  recoverVerify: {
    method: "post",
    path: ROUTES.recoverVerify,
    tag: "Recovery",
    access: "none",
    setsCookie: true,
    summary: "Register the new passkey with the grant: ends every other session and signs in",
    body: RecoveryVerifyRequest,
    success: { status: 200, schema: TokenResponse, description: "Signed in on this device." },
    errors: [...WEBAUTHN_FAILURES, "recovery_grant_invalid", "passkey_already_registered"],
  },
  me: {
    method: "get",
    path: ROUTES.me,
    tag: "Account",
    access: "bearer",
    summary: "The signed-in user",
    success: { status: 200, schema: PublicUser, description: "The user." },
  },
  myActivity: {
    method: "get",
    path: ROUTES.myActivity,
    tag: "Account",
    access: "bearer",
    summary: "The user's own recent security events (why was I signed out?)",
    success: { status: 200, schema: AuditEventList, description: "Newest first." },
  },
  sessions: {
    method: "get",
    path: ROUTES.sessions,
    tag: "Account",
    access: "bearer",
    summary: "The user's live sessions",
    success: { status: 200, schema: SessionList, description: "Newest first; `current` marks this one." },
  },
  revokeSession: {
    method: "delete",
    path: ROUTES.session,
    tag: "Account",
    access: "bearer",
    summary: "Revoke one of the user's sessions (another user's id is 404)",
    description:
      "Ending a session other than this one needs a recent passkey verification, as signing out everywhere does (one at a time is the same act); ending this one is signing out and needs none.",
    recentVerification: true,
    success: { status: 204, description: "Revoked." },
    errors: ["not_found"],
  },
  passkeys: {
    method: "get",
    path: ROUTES.passkeys,
    tag: "Passkeys",
    access: "bearer",
    summary: "The user's passkeys",
    success: { status: 200, schema: PasskeyList, description: "With provider names and backup state." },
  },
  passkeyOptions: {
    method: "post",
    path: ROUTES.passkeyOptions,
    tag: "Passkeys",
    access: "bearer",
    recentVerification: true,
    summary: "Start adding a passkey (excludeCredentials lists the existing ones)",
    success: { status: 200, schema: CreationOptions, description: "Options for navigator.credentials.create." },
  },
  passkeyVerify: {
    method: "post",
    path: ROUTES.passkeyVerify,
    tag: "Passkeys",
    access: "bearer",
    recentVerification: true,
    summary: "Finish adding a passkey",
    body: RegistrationResponse,
    success: { status: 201, schema: PasskeyInfo, description: "The new passkey." },
    errors: [...WEBAUTHN_FAILURES, "passkey_already_registered"],
  },
  renamePasskey: {
    method: "patch",
    path: ROUTES.passkey,
    tag: "Passkeys",
    access: "bearer",
    summary: "Rename a passkey",
    body: PasskeyRename,
    success: { status: 204, description: "Renamed." },
    errors: ["not_found"],
  },
  deletePasskey: {
    method: "delete",
    path: ROUTES.passkey,
    tag: "Passkeys",
    access: "bearer",
    recentVerification: true,
    summary: "Delete a passkey; the sessions it opened on other devices end",
    success: { status: 204, description: "Deleted." },
    errors: ["not_found", "last_passkey"],
  },
  recoveryCodesLeft: {
    method: "get",
    path: ROUTES.recoveryCodes,
    tag: "Recovery",
    access: "bearer",
    summary: "How many recovery codes are unused",
    success: { status: 200, schema: RecoveryCodesLeft, description: "The count." },
  },
  newRecoveryCodes: {
    method: "post",
    path: ROUTES.recoveryCodes,
    tag: "Recovery",
    access: "bearer",
    recentVerification: true,
    summary: "Replace the recovery codes with a fresh set",
    success: { status: 200, schema: RecoveryCodes, description: "The new codes, shown once." },
  },
  adminUsers: {
    method: "get",
    path: ROUTES.adminUsers,
    tag: "Admin",
    access: "admin",
    summary: "Search users by username, paged",
    query: AdminUsersQuery,
    success: { status: 200, schema: AdminUserPage, description: "Users with passkey and live session counts." },
  },
  adminUser: {
    method: "patch",
    path: ROUTES.adminUser,
    tag: "Admin",
    access: "admin",
    summary: "Change a user's role or block / unblock them (blocking ends their sessions)",
    recentVerification: true,
    body: AdminUserPatch,
    success: { status: 200, schema: AdminUser, description: "The user after the change." },
    errors: ["not_found", "last_admin", "cannot_block_self"],
  },
  adminAudit: {
    method: "get",
    path: ROUTES.adminAudit,
    tag: "Admin",
    access: "admin",
    summary: "The audit log, newest first, filtered by user and type, paged with before",
    query: AuditQuery,
    success: { status: 200, schema: AuditPage, description: "A page of events." },
  },
  jwks: {
    method: "get",
    path: ROUTES.jwks,
    tag: "Keys and health",
    access: "none",
    summary: "Public keys that verify access tokens (JWKS)",
    success: { status: 200, schema: Jwks, description: "The JWKS." },
  },
  openidConfiguration: {
    method: "get",
    path: ROUTES.openidConfiguration,
    tag: "Keys and health",
    access: "none",
    summary: "Issuer metadata: issuer and jwks_uri",
    success: { status: 200, schema: OpenIdConfiguration, description: "The metadata." },
  },
  health: {
    method: "get",
    path: ROUTES.health,
    tag: "Keys and health",
    access: "none",
    summary: "Liveness",
    success: { status: 200, schema: Health, description: "Up." },
  },
  metrics: {
    method: "get",
    path: ROUTES.metrics,
    tag: "Keys and health",
    access: "none",
    summary: "Prometheus metrics (a bearer METRICS_TOKEN when the server has one)",
    success: { status: 200, description: "Prometheus text format.", contentType: "text/plain" },
    errors: ["token_invalid"],
  },
  openapi: {
    method: "get",
    path: ROUTES.openapi,
    tag: "Keys and health",
    access: "none",
    summary: "This API as an OpenAPI 3.1 document (the interactive reference is the /docs page)",
    success: { status: 200, description: "The OpenAPI document." },
  },
} as const satisfies Record<string, Operation>;

export type OperationId = keyof typeof OPERATIONS;

// The security vocabulary, once: every audit event type and every reason a session ends, each
// with the words people read. The server writes these types, the web app shows these labels, and
// the OpenAPI text lists them from here.

export const AUDIT_EVENT_LABELS = {
  user_registered: "Account created",
  signed_in: "Signed in",
  sign_in_failed: "Sign-in failed",
  token_refreshed: "Session renewed",
  refresh_token_reused: "Old session token reused: session ended for safety",
  session_revoked: "Session ended",
  sessions_revoked_all: "Signed out everywhere",
  session_evicted: "Oldest session ended (session limit)",
  role_changed: "Role changed",
  user_blocked: "Account blocked",
  user_unblocked: "Account unblocked",
  passkey_added: "Passkey added",
  passkey_renamed: "Passkey renamed",
  passkey_removed: "Passkey removed",
  step_up_verified: "Identity confirmed with a passkey",
  recovery_codes_issued: "New recovery codes made",
  recovery_code_used: "Recovery code used",
  recovery_failed: "Recovery attempt failed",
  account_recovered: "Account recovered: new passkey added, other sessions ended",
  signing_key_revoked: "Signing key revoked: tokens it signed are refused",
  app_authorized: "App allowed to sign you in",
  app_access_revoked: "App access removed",
  app_registered: "App registered with the OpenID Provider",
  app_removed: "App removed from the OpenID Provider",
} as const;

export type AuditEventType = keyof typeof AUDIT_EVENT_LABELS;
export const AUDIT_EVENT_TYPES = Object.keys(AUDIT_EVENT_LABELS) as AuditEventType[];

/** Why a session ended: stored with the session and in its audit event's detail. */
export const SESSION_END_REASON_LABELS = {
  logout: "signed out",
  logout_all: "signed out everywhere",
  revoked_by_user: "revoked from the account page",
  account_blocked: "account blocked",
  refresh_token_reused: "token reuse detected",
  session_limit: "too many sessions",
  passkey_removed: "its passkey was removed",
  account_recovered: "account recovered",
  app_logout: "signed out from an app",
} as const;

export type SessionEndReason = keyof typeof SESSION_END_REASON_LABELS;

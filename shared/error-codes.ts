// The stable error codes of the HTTP contract: every error body is {error: {code, message}}.
// Clients branch on `code`, never on `message`. The status for each code lives in server/errors.ts.

export const ERROR_CODES = [
  "invalid_request",
  "body_too_large",
  "unsupported_media_type",
  "not_found",
  "method_not_allowed",
  "rate_limited",
  "csrf_rejected",
  "internal",
  "username_taken",
  "challenge_not_found",
  "challenge_expired",
  "challenge_purpose_mismatch",
  "passkey_verification_failed",
  "passkey_not_found",
  "passkey_already_registered",
  "passkey_counter_regression",
  "account_blocked",
  "token_missing",
  "token_invalid",
  "token_expired",
  "refresh_token_missing",
  "refresh_token_invalid",
  "refresh_token_reused",
  "session_expired",
  "session_revoked",
  "forbidden",
  "last_admin",
  "cannot_block_self",
  "last_passkey",
  "reauthentication_required",
  "recovery_failed",
  "recovery_grant_invalid",
  "invalid_target",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string";
}

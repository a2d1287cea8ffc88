// AppError and the one table from error code to HTTP status (and default message).
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../shared/error-codes.ts";

export const STATUS_BY_CODE = {
  invalid_request: 400,
  invalid_target: 400,
  body_too_large: 413,
  unsupported_media_type: 415,
  not_found: 404,
  method_not_allowed: 405,
  rate_limited: 429,
  csrf_rejected: 403,
  internal: 500,
  username_taken: 409,
  challenge_not_found: 400,
  challenge_expired: 400,
  challenge_purpose_mismatch: 400,
  passkey_verification_failed: 400,
  passkey_not_found: 400,
  passkey_already_registered: 409,
  passkey_counter_regression: 400,
  account_blocked: 403,
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  refresh_token_missing: 401,
  refresh_token_invalid: 401,
  refresh_token_reused: 401,
  session_expired: 401,
  session_revoked: 401,
  forbidden: 403,
  last_admin: 409,
  cannot_block_self: 409,
  last_passkey: 409,
  reauthentication_required: 403,
  recovery_failed: 401,
  recovery_grant_invalid: 401,
} as const satisfies Record<ErrorCode, ContentfulStatusCode>;

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  invalid_request: "The request is malformed.",
  invalid_target: "This platform issues no tokens for that resource (RFC 8707); its operator lists the ones it does in RESOURCES.",
  body_too_large: "The request body is too large.",
  unsupported_media_type: "Send the body as JSON (Content-Type: application/json).",
  not_found: "Not found.",
  method_not_allowed: "This method is not allowed on this route.",
  rate_limited: "Too many requests; try again later.",
  csrf_rejected: "Cross-site requests are not allowed here.",
  internal: "Something went wrong on our side.",
  username_taken: "That username is taken.",
  challenge_not_found: "The sign-in attempt is unknown or was already used; start again.",
  challenge_expired: "The sign-in attempt expired; start again.",
  challenge_purpose_mismatch: "The challenge was issued for another ceremony.",
  passkey_verification_failed: "The passkey response could not be verified.",
  passkey_not_found: "This passkey is not registered here.",
  passkey_already_registered: "This passkey is already registered.",
  passkey_counter_regression: "The passkey's signature counter went backwards; it may have been cloned.",
  account_blocked: "This account is blocked.",
  token_missing: "An access token is required.",
  token_invalid: "The access token is invalid.",
  token_expired: "The access token has expired.",
  refresh_token_missing: "No session: sign in.",
  refresh_token_invalid: "The session is unknown: sign in.",
  refresh_token_reused: "A used refresh token was presented; the session was ended for safety.",
  session_expired: "The session has expired: sign in again.",
  session_revoked: "The session was ended: sign in again.",
  forbidden: "You are not allowed to do this.",
  last_admin: "This would leave no active admin.",
  cannot_block_self: "You cannot block your own account.",
  last_passkey: "This is your only passkey; add another before removing it.",
  reauthentication_required: "Confirm it is you with your passkey first.",
  recovery_failed: "That username and recovery code do not match an unused code.",
  recovery_grant_invalid: "The recovery link is unknown, used or expired; use another recovery code.",
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  /** Extra response headers, e.g. Retry-After on 429. */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: { message?: string; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(options.message ?? DEFAULT_MESSAGE[code], { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.headers = options.headers ?? {};
  }

  toBody() {
    return { error: { code: this.code, message: this.message } };
  }
}

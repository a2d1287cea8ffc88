// Words and dates for people: event names, devices, times.

const EVENT_LABELS: Record<string, string> = {
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
};

export const EVENT_TYPES = Object.keys(EVENT_LABELS);

const REASON_LABELS: Record<string, string> = {
  logout: "signed out",
  logout_all: "signed out everywhere",
  revoked_by_user: "revoked from the account page",
  account_blocked: "account blocked",
  refresh_token_reused: "token reuse detected",
  session_limit: "too many sessions",
  passkey_removed: "its passkey was removed",
  account_recovered: "account recovered",
};

export function describeEvent(type: string, detail: Record<string, unknown>): string {
  const label = EVENT_LABELS[type] ?? type;
  const reason = typeof detail.reason === "string" ? (REASON_LABELS[detail.reason] ?? detail.reason.replaceAll("_", " ")) : null;
  if (type === "role_changed") return `${label}: ${String(detail.from)} → ${String(detail.to)}`;
  return reason ? `${label} (${reason})` : label;
}

/** "Chrome on Linux" from a user-agent string; good enough to recognise one's own devices. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : "Browser";
  const os = /iPhone|iPad/.test(userAgent)
    ? "iOS"
    : /Android/.test(userAgent)
      ? "Android"
      : /Mac OS X/.test(userAgent)
        ? "macOS"
        : /Windows/.test(userAgent)
          ? "Windows"
          : /Linux/.test(userAgent)
            ? "Linux"
            : "unknown system";
  return `${browser} on ${os}`;
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

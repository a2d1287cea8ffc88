// Words and dates for people: event names (from shared/audit-events.ts), devices, times.
import { AUDIT_EVENT_LABELS, AUDIT_EVENT_TYPES, SESSION_END_REASON_LABELS } from "../../shared/audit-events.ts";

export const EVENT_TYPES = AUDIT_EVENT_TYPES;

export function describeEvent(type: string, detail: Record<string, unknown>): string {
  const label = (AUDIT_EVENT_LABELS as Record<string, string>)[type] ?? type;
  const reason =
    typeof detail.reason === "string" ? ((SESSION_END_REASON_LABELS as Record<string, string>)[detail.reason] ?? detail.reason.replaceAll("_", " ")) : null;
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

// The fixed limits of the platform's security rules, once: the server enforces these numbers, and
// the OpenAPI text and the web app quote them from here (with `inWords`), so prose cannot drift.

/** A step-up (or sign-in) counts as a recent passkey verification for this long. */
export const RECENT_VERIFICATION_SECONDS = 300;
/** A retry of the previous refresh token within this long, its successor unused, is not reuse (RFC 9700 §4.14.2). */
export const REFRESH_GRACE_SECONDS = 10;
/** Recovery codes made at once. */
export const RECOVERY_CODE_COUNT = 10;
/** A recovery grant registers one passkey within this long. */
export const RECOVERY_GRANT_TTL_SECONDS = 600;
/** A ceremony's challenge lives this long unless CHALLENGE_TTL says otherwise. */
export const DEFAULT_CHALLENGE_TTL_SECONDS = 300;

/** "5 minutes", "10 s": a duration as the docs and pages say it. */
export function inWords(seconds: number): string {
  if (seconds >= 60 && seconds % 60 === 0) {
    const minutes = seconds / 60;
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  return `${seconds} s`;
}

// One-time recovery codes: shown once, stored only as HMACs under a server key.
import { createHmac, randomInt } from "node:crypto";
import { recordAuditEvent } from "./audit.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";
import { RECOVERY_CODE_COUNT } from "../../shared/limits.ts";

/** No 0/O, 1/I/L or U: codes are read off paper and typed by hand. */
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
const GROUPS = 3;
const GROUP_LENGTH = 4;

/** Upper-cased with separators and spaces dropped, so "abcd-efgh-jkmn" and "ABCDEFGHJKMN" are one code. */
export function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

export function isWellFormedRecoveryCode(normalized: string): boolean {
  return normalized.length === GROUPS * GROUP_LENGTH && [...normalized].every((c) => ALPHABET.includes(c));
}

export function hashRecoveryCode(key: Uint8Array, userId: string, normalized: string): string {
  return createHmac("sha256", key).update(`${userId}:${normalized}`).digest("hex");
}

function newCode(): string {
  const groups = Array.from({ length: GROUPS }, () => Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(""));
  return groups.join("-");
}

/** Makes a fresh set of codes (the old ones stop working) and returns them, for showing once. */
export async function issueRecoveryCodes(
  deps: Pick<AuthDeps, "store" | "clock" | "keys">,
  input: { userId: string; context: RequestContext },
): Promise<string[]> {
  const { userId } = input;
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  const hashes = codes.map((code) => hashRecoveryCode(deps.keys.recoveryCodeKey, userId, normalizeRecoveryCode(code)));
  await deps.store.recovery.replaceCodes(userId, hashes, deps.clock.now().getTime());
  await recordAuditEvent(deps, input.context, { type: "recovery_codes_issued", userId, detail: { count: codes.length } });
  return codes;
}

// What the domain functions need: passed in, never imported as globals.
import type { Clock } from "../clock.ts";
import type { AccessTokenVerifier } from "./access-tokens.ts";
import type { Config } from "../config.ts";
import type { Store } from "../db/store.ts";
import type { ServerKeys } from "./signing-keys.ts";

export interface AuthDeps {
  config: Config;
  store: Store;
  clock: Clock;
  keys: ServerKeys;
  /** Built once by createApp: verifies access tokens, caching the ones already verified. */
  accessTokens: AccessTokenVerifier;
  /**
   * Counts (in metrics only) a refusal that proved nothing about any account: a sign-in refused
   * before its signature verified, a recovery code that matched nothing. Writing those to an
   * account's audit log would let anyone fill a person's activity by naming them.
   */
  countUnattributedRefusal(type: UnattributedRefusal, reason: string): void;
}

export type UnattributedRefusal = "sign_in_failed" | "recovery_failed";

/** Who is asking: recorded on sessions and audit events. */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

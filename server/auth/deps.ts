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
}

/** Who is asking: recorded on sessions and audit events. */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

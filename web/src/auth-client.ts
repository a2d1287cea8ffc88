// The web app's one API client. The access token lives only in this module's memory; the
// refresh token only in the HttpOnly cookie. Usable by any front end on the same origin:
//
//   const auth = createAuthClient({ onSignedOut: (reason) => showSignIn(reason) });
//   await auth.start();                 // refresh on load: signed in again after a reload
//   const me = await auth.api("/api/me");
//   auth.observe((event) => console.log(event));   // refreshes, rotations, sign-outs
//
// Guarantees: one refresh at a time, in this tab and across tabs (Web Locks, or a storage lease
// where the browser lacks them); a refresh shortly before the token expires; a refresh that got
// no answer retried with backoff inside the server's grace period; on 401 token_expired or token_invalid one
// refresh and one retry, never a loop; new tokens and sign-out shared between tabs
// (BroadcastChannel); a reason when the session ends.
import { decodeJwt } from "jose";
import { isErrorBody, type ErrorCode } from "../../shared/error-codes.ts";
import { REFRESH_GRACE_SECONDS } from "../../shared/limits.ts";
import { ROUTES, SESSION_HINT_COOKIE_NAME } from "../../shared/routes.ts";
import type { PublicUser, TokenResponse } from "../../shared/schemas.ts";
import { withRefreshLock } from "./refresh-lock.ts";

export type SignedOutReason = "signed_out" | "signed_out_elsewhere" | "expired" | "revoked" | "blocked";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "network_error",
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Reads the contract's {error: {code, message}} body (or makes one up for a body without it). */
export async function readApiError(response: Response): Promise<ApiError> {
  const body: unknown = await response.json().catch(() => null);
  if (isErrorBody(body)) return new ApiError(response.status, body.error.code, body.error.message);
  return new ApiError(response.status, "internal", `The server answered ${response.status}.`);
}

/** fetch() with failures to reach the server turned into ApiError network_error. */
export async function fetchOrThrow(fetcher: typeof fetch, path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetcher(path, { ...init, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network_error", "The server cannot be reached; check your connection.");
  }
}

export interface AuthState {
  user: PublicUser | null;
  accessToken: string | null;
  /** Epoch milliseconds, by this browser's clock. */
  expiresAt: number | null;
}

/** What the client did, for the flow inspector and anyone debugging a session. */
export type AuthEvent = { at: number } & (
  | { type: "refreshed"; trigger: RefreshTrigger; jti: string | undefined }
  | { type: "refresh_shared"; trigger: RefreshTrigger }
  | { type: "tokens_from_other_tab"; jti: string | undefined }
  | { type: "retried_after_expiry"; path: string }
  | { type: "signed_in"; jti: string | undefined }
  | { type: "signed_out"; reason: SignedOutReason }
);

/** Why a refresh ran: page load, the timer before expiry, an expired token on a call, or asked for. */
export type RefreshTrigger = "load" | "proactive" | "expired" | "manual";

export interface AuthClientOptions {
  /** Called when the session ends: signed out here or in another tab, expired, revoked or blocked. */
  onSignedOut?: (reason: SignedOutReason) => void;
  fetch?: typeof fetch;
  /** Refresh this long before expiry (capped at a fifth of the token's lifetime). Default 60 s. */
  refreshMarginSeconds?: number;
  /**
   * Called when a sensitive action answers 403 reauthentication_required: prove user verification
   * again (a passkey step-up) and resolve true to have the call retried once.
   */
  reauthenticate?: () => Promise<boolean>;
}

const CHANNEL_NAME = "auth";

/**
 * Waits before each retry of a refresh that got no answer. The server may have rotated the token
 * and died (or lost the answer) before we heard back; it answers a retry of the same cookie with
 * the same successor only within REFRESH_GRACE_SECONDS of the rotation, so every retry is sent
 * inside that window (these add up to 7.75 s), and a later one would be taken for reuse.
 */
export const REFRESH_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000] as const;
/** Past this, counted from the first attempt, no retry is sent: a little short of the grace period. */
const REFRESH_RETRY_DEADLINE_MS = (REFRESH_GRACE_SECONDS - 1) * 1000;
/** What a load balancer, or our own server while it starts, answers when the app gave no answer. */
const NO_ANSWER_STATUSES = new Set([502, 503, 504]);

type Broadcast = { type: "tokens"; response: TokenResponse } | { type: "signed-out" };

/** Refusals of an access token that a refresh can cure: refresh once, retry once. */
const RENEWABLE = new Set<ApiError["code"]>(["token_expired", "token_invalid"]);

const REASON_BY_CODE: Partial<Record<ApiError["code"], SignedOutReason>> = {
  session_expired: "expired",
  refresh_token_invalid: "expired",
  session_revoked: "revoked",
  refresh_token_reused: "revoked",
  account_blocked: "blocked",
};

/** The server sets a non-secret hint cookie beside the HttpOnly refresh cookie while a session may exist. */
function mayHaveSession(): boolean {
  return typeof document === "undefined" || document.cookie.split("; ").some((c) => c.startsWith(`${SESSION_HINT_COOKIE_NAME}=`));
}

export function createAuthClient(options: AuthClientOptions = {}) {
  const http = options.fetch ?? fetch.bind(globalThis);
  const marginMs = (options.refreshMarginSeconds ?? 60) * 1000;
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL_NAME) : null;
  const listeners = new Set<(state: AuthState) => void>();
  const observers = new Set<(event: AuthEvent) => void>();
  let state: AuthState = { user: null, accessToken: null, expiresAt: null };
  let inflight: Promise<boolean> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function emit(event: AuthEvent) {
    for (const observer of observers) observer(event);
  }

  function setState(next: AuthState) {
    state = next;
    clearTimeout(timer);
    if (next.expiresAt !== null && next.accessToken !== null) {
      // The lifetime from the token's own iat and exp: both on the server's clock, so a browser
      // clock that differs from it (expiresAt is on the browser's) does not bend the margin.
      const { iat, exp } = decodeJwt(next.accessToken);
      const lifetime = iat !== undefined && exp !== undefined ? (exp - iat) * 1000 : next.expiresAt - Date.now();
      const delay = Math.max(0, next.expiresAt - Math.min(marginMs, lifetime / 5) - Date.now());
      timer = setTimeout(() => void refresh("proactive").catch(() => undefined), delay);
    }
    for (const listener of listeners) listener(state);
  }

  function adopt(response: TokenResponse) {
    // This browser's clock may differ from the server's: count the lifetime from now, never
    // trusting it past the token's own exp (plus a little skew).
    const exp = decodeJwt(response.accessToken).exp;
    const byLifetime = Date.now() + response.expiresIn * 1000;
    const expiresAt = exp === undefined ? byLifetime : Math.min(byLifetime, exp * 1000 + 5000);
    setState({ user: response.user, accessToken: response.accessToken, expiresAt });
  }

  function end(reason: SignedOutReason, broadcast: boolean) {
    setState({ user: null, accessToken: null, expiresAt: null });
    if (broadcast) channel?.postMessage({ type: "signed-out" } satisfies Broadcast);
    emit({ at: Date.now(), type: "signed_out", reason });
    options.onSignedOut?.(reason);
  }

  channel?.addEventListener("message", (event: MessageEvent<Broadcast>) => {
    if (event.data.type === "tokens") {
      adopt(event.data.response);
      emit({ at: Date.now(), type: "tokens_from_other_tab", jti: decodeJwt(event.data.response.accessToken).jti });
    } else if (state.accessToken !== null) {
      end("signed_out_elsewhere", false);
    }
  });

  const post = (path: string) => fetchOrThrow(http, path, { method: "POST" });
  const isFresh = () => state.expiresAt !== null && state.expiresAt - Date.now() > marginMs / 2;

  /** Exchanges the refresh cookie for a new access token. Resolves false when the session is gone. */
  async function refreshUnderLock(tokenWhenAsked: string | null, trigger: RefreshTrigger): Promise<boolean> {
    // Another tab may have refreshed while we waited for the lock and shared its token.
    if (state.accessToken !== tokenWhenAsked && state.accessToken !== null && isFresh()) {
      emit({ at: Date.now(), type: "refresh_shared", trigger });
      return true;
    }
    const response = await postRefresh();
    if (response.ok) {
      const tokens = (await response.json()) as TokenResponse;
      adopt(tokens);
      channel?.postMessage({ type: "tokens", response: tokens } satisfies Broadcast);
      emit({ at: Date.now(), type: "refreshed", trigger, jti: decodeJwt(tokens.accessToken).jti });
      return true;
    }
    const error = await readApiError(response);
    if (response.status === 401 || response.status === 403) {
      if (error.code !== "refresh_token_missing" || state.accessToken !== null) end(REASON_BY_CODE[error.code] ?? "expired", true);
      return false;
    }
    throw error;
  }

  /** POST /auth/refresh, sent again (same cookie) while it gets no answer; see REFRESH_RETRY_DELAYS_MS. */
  async function postRefresh(): Promise<Response> {
    const startedAt = Date.now();
    for (let attempt = 0; ; attempt++) {
      const delay = REFRESH_RETRY_DELAYS_MS[attempt];
      const last = delay === undefined || Date.now() - startedAt + delay > REFRESH_RETRY_DEADLINE_MS;
      try {
        const response = await post(ROUTES.refresh);
        if (last || !NO_ANSWER_STATUSES.has(response.status)) return response;
      } catch (error) {
        if (last) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** One refresh at a time: callers during a refresh share its outcome. */
  function refresh(trigger: RefreshTrigger = "manual"): Promise<boolean> {
    if (inflight) return inflight;
    const tokenWhenAsked = state.accessToken;
    const flight = withRefreshLock(() => refreshUnderLock(tokenWhenAsked, trigger)).finally(() => {
      inflight = null;
    });
    inflight = flight;
    return flight;
  }

  async function send(path: string, init: RequestInit, token: string): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
    return fetchOrThrow(http, path, { ...init, headers });
  }

  async function currentToken(): Promise<string> {
    if (state.accessToken === null || (state.expiresAt !== null && state.expiresAt <= Date.now())) {
      if (!(await refresh("expired"))) throw new ApiError(401, "session_expired", "Your session has ended: sign in again.");
    }
    return state.accessToken!;
  }

  return {
    get state(): AuthState {
      return state;
    },

    subscribe(listener: (state: AuthState) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    observe(observer: (event: AuthEvent) => void): () => void {
      observers.add(observer);
      return () => observers.delete(observer);
    },

    /** On page load: resumes the session from the refresh cookie, if there may be one. */
    async start(): Promise<PublicUser | null> {
      if (mayHaveSession()) await refresh("load");
      return state.user;
    },

    /** After a passkey ceremony: take the tokens it returned. */
    acceptTokens(response: TokenResponse) {
      adopt(response);
      channel?.postMessage({ type: "tokens", response } satisfies Broadcast);
      emit({ at: Date.now(), type: "signed_in", jti: decodeJwt(response.accessToken).jti });
    },

    refresh,

    /** Calls the API with the access token; on an expired token refreshes once and retries once. */
    async api<T>(path: string, init: RequestInit = {}): Promise<T> {
      const token = await currentToken();
      let response = await send(path, init, token);
      // Expired, or refused as no longer acceptable (its signing key revoked, an audience from
      // before an upgrade): one refresh gets a token the server takes, if the session lives.
      if (response.status === 401 && RENEWABLE.has((await readApiError(response.clone())).code)) {
        // Refresh only if no one has since: ten calls failing together make one refresh.
        const renewed = state.accessToken !== token && state.accessToken !== null ? true : await refresh("expired");
        if (renewed && state.accessToken !== null) {
          emit({ at: Date.now(), type: "retried_after_expiry", path });
          response = await send(path, init, state.accessToken);
        }
      }
      if (response.status === 403 && options.reauthenticate && (await readApiError(response.clone())).code === "reauthentication_required") {
        if (await options.reauthenticate()) response = await send(path, init, state.accessToken ?? token);
      }
      if (!response.ok) {
        const error = await readApiError(response);
        // The session is gone (revoked, expired) or the account blocked: say so, everywhere.
        if (state.accessToken !== null && (response.status === 401 || error.code === "account_blocked")) {
          end(REASON_BY_CODE[error.code] ?? "expired", true);
        }
        throw error;
      }
      return (response.status === 204 ? undefined : await response.json()) as T;
    },

    /** Ends this session on the server and in every tab. */
    async signOut(): Promise<void> {
      await post(ROUTES.logout).catch(() => undefined);
      end("signed_out", true);
    },

    /** Ends every session of this user, on every device. */
    async signOutEverywhere(): Promise<void> {
      await this.api<void>(ROUTES.logoutAll, { method: "POST" });
      end("signed_out", true);
    },
  };
}

export type AuthClient = ReturnType<typeof createAuthClient>;

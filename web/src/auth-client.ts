// The web app's one API client. The access token lives only in this module's memory; the
// refresh token only in the HttpOnly cookie. Usable by any front end on the same origin.
//
//   const auth = createAuthClient({ onSignedOut: (reason) => showSignIn(reason) });
//   await auth.start();                 // refresh on load: signed in again after a reload
//   const me = await auth.api("/api/me");
//
// Guarantees: one refresh at a time (in this tab, and across tabs with the Web Locks API);
// a refresh shortly before the token expires; on 401 token_expired one refresh and one retry,
// never a loop; new tokens and sign-out shared between tabs (BroadcastChannel).
import { decodeJwt } from "jose";
import { isErrorBody, type ErrorCode } from "../../shared/error-codes.ts";
import { ROUTES } from "../../shared/routes.ts";
import type { PublicUser, TokenResponse } from "../../shared/schemas.ts";

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
  /** Epoch milliseconds. */
  expiresAt: number | null;
}

export interface AuthClientOptions {
  /** Called when the session ends: signed out here or in another tab, expired, revoked or blocked. */
  onSignedOut?: (reason: SignedOutReason) => void;
  fetch?: typeof fetch;
  /** Refresh this long before expiry (capped at a fifth of the token's lifetime). Default 60 s. */
  refreshMarginSeconds?: number;
}

const LOCK_NAME = "auth-refresh";
const CHANNEL_NAME = "auth";

type Broadcast = { type: "tokens"; response: TokenResponse } | { type: "signed-out" };

const REASON_BY_CODE: Partial<Record<ApiError["code"], SignedOutReason>> = {
  session_expired: "expired",
  refresh_token_invalid: "expired",
  session_revoked: "revoked",
  refresh_token_reused: "revoked",
  account_blocked: "blocked",
};

export function createAuthClient(options: AuthClientOptions = {}) {
  const http = options.fetch ?? fetch.bind(globalThis);
  const marginMs = (options.refreshMarginSeconds ?? 60) * 1000;
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL_NAME) : null;
  const listeners = new Set<(state: AuthState) => void>();
  let state: AuthState = { user: null, accessToken: null, expiresAt: null };
  let inflight: Promise<boolean> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function setState(next: AuthState) {
    state = next;
    clearTimeout(timer);
    if (next.expiresAt !== null && next.accessToken !== null) {
      const issuedAt = (decodeJwt(next.accessToken).iat ?? 0) * 1000;
      const lifetime = next.expiresAt - issuedAt;
      const delay = Math.max(0, next.expiresAt - Math.min(marginMs, lifetime / 5) - Date.now());
      timer = setTimeout(() => void refresh().catch(() => undefined), delay);
    }
    for (const listener of listeners) listener(state);
  }

  function adopt(response: TokenResponse) {
    const exp = decodeJwt(response.accessToken).exp;
    // Our clock may differ from the server's: trust the lifetime, not the absolute exp.
    const expiresAt = Date.now() + response.expiresIn * 1000;
    setState({ user: response.user, accessToken: response.accessToken, expiresAt: exp === undefined ? expiresAt : Math.min(expiresAt, exp * 1000 + 5000) });
  }

  function end(reason: SignedOutReason, broadcast: boolean) {
    setState({ user: null, accessToken: null, expiresAt: null });
    if (broadcast) channel?.postMessage({ type: "signed-out" } satisfies Broadcast);
    options.onSignedOut?.(reason);
  }

  channel?.addEventListener("message", (event: MessageEvent<Broadcast>) => {
    if (event.data.type === "tokens") adopt(event.data.response);
    else if (state.accessToken !== null) end("signed_out_elsewhere", false);
  });

  const post = (path: string) => fetchOrThrow(http, path, { method: "POST" });

  /** Exchanges the refresh cookie for a new access token. Resolves false when the session is gone. */
  async function refreshUnderLock(tokenWhenAsked: string | null): Promise<boolean> {
    // Another tab may have refreshed while we waited for the lock and shared its token.
    if (state.accessToken !== tokenWhenAsked && state.expiresAt !== null && state.expiresAt - Date.now() > marginMs / 2) return true;
    const response = await post(ROUTES.refresh);
    if (response.ok) {
      const tokens = (await response.json()) as TokenResponse;
      adopt(tokens);
      channel?.postMessage({ type: "tokens", response: tokens } satisfies Broadcast);
      return true;
    }
    const error = await readApiError(response);
    if (response.status === 401 || response.status === 403) {
      if (error.code !== "refresh_token_missing" || state.accessToken !== null) end(REASON_BY_CODE[error.code] ?? "expired", true);
      return false;
    }
    throw error;
  }

  function refresh(): Promise<boolean> {
    if (inflight) return inflight;
    const tokenWhenAsked = state.accessToken;
    const run = () => refreshUnderLock(tokenWhenAsked);
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    const flight: Promise<boolean> = (locks ? locks.request(LOCK_NAME, run).then((ok) => ok) : run()).finally(() => {
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
      if (!(await refresh())) throw new ApiError(401, "session_expired", "Your session has ended: sign in again.");
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

    /** On page load: resumes the session from the refresh cookie, if there is one. */
    async start(): Promise<PublicUser | null> {
      await refresh();
      return state.user;
    },

    /** After a passkey ceremony: take the tokens it returned. */
    acceptTokens(response: TokenResponse) {
      adopt(response);
      channel?.postMessage({ type: "tokens", response } satisfies Broadcast);
    },

    refresh,

    /** Calls the API with the access token; on an expired token refreshes once and retries once. */
    async api<T>(path: string, init: RequestInit = {}): Promise<T> {
      let token = await currentToken();
      let response = await send(path, init, token);
      if (response.status === 401) {
        const error = await readApiError(response.clone());
        if (error.code === "token_expired" && (await refresh())) {
          token = state.accessToken!;
          response = await send(path, init, token);
        }
      }
      if (!response.ok) {
        const error = await readApiError(response);
        // The session is gone (revoked, expired) or the account blocked: say so, everywhere.
        if (response.status === 401 || error.code === "account_blocked") end(REASON_BY_CODE[error.code] ?? "expired", true);
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

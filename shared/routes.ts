// Route paths and the refresh cookie name: the names the server mounts and the web app calls.

export const ROUTES = {
  registerOptions: "/auth/register/options",
  registerVerify: "/auth/register/verify",
  loginOptions: "/auth/login/options",
  loginVerify: "/auth/login/verify",
  refresh: "/auth/refresh",
  logout: "/auth/logout",
  logoutAll: "/auth/logout-all",
  stepUpOptions: "/auth/step-up/options",
  stepUpVerify: "/auth/step-up/verify",
  recover: "/auth/recover",
  recoverOptions: "/auth/recover/options",
  recoverVerify: "/auth/recover/verify",
  me: "/api/me",
  myActivity: "/api/me/activity",
  passkeys: "/api/passkeys",
  passkeyOptions: "/api/passkeys/options",
  passkeyVerify: "/api/passkeys/verify",
  passkey: "/api/passkeys/:id",
  recoveryCodes: "/api/recovery-codes",
  sessions: "/api/sessions",
  session: "/api/sessions/:id",
  adminUsers: "/api/admin/users",
  adminUser: "/api/admin/users/:id",
  adminAudit: "/api/admin/audit",
  adminClients: "/api/admin/clients",
  adminClient: "/api/admin/clients/:id",
  apps: "/api/apps",
  app: "/api/apps/:clientId",
  interactionDetails: "/oidc/interaction/:uid/details",
  interactionLogin: "/oidc/interaction/:uid/login",
  interactionConsent: "/oidc/interaction/:uid/consent",
  interactionAbort: "/oidc/interaction/:uid/abort",
  jwks: "/.well-known/jwks.json",
  openidConfiguration: "/.well-known/openid-configuration",
  health: "/healthz",
  metrics: "/metrics",
  openapi: "/openapi.json",
} as const;

/** Pages of the single-page web app; the server answers each with index.html. */
export const PAGES = {
  home: "/",
  signIn: "/signin",
  signUp: "/signup",
  account: "/account",
  admin: "/admin",
  flow: "/flow",
  recover: "/recover",
  docs: "/docs",
  /** The OpenID Provider's sign-in and consent page for one authorization request. */
  interaction: "/oidc/interaction/:uid",
} as const;

/**
 * The OpenID Provider's own endpoints (oidc-provider answers them); discovery lists them all.
 * Everything under /oidc/ is the provider's except the interaction page and its API above.
 */
export const OIDC_ROUTES = {
  authorization: "/oidc/auth",
  token: "/oidc/token",
  userinfo: "/oidc/me",
  revocation: "/oidc/token/revocation",
  introspection: "/oidc/token/introspection",
  end_session: "/oidc/session/end",
  jwks: "/.well-known/jwks.json",
  pushed_authorization_request: "/oidc/request",
} as const;

/** Fills a route's `:name` parameters: routePath(ROUTES.session, { id }). */
export function routePath(route: string, params: Record<string, string>): string {
  return route.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
}

/** `__Host-` pins the cookie to this origin: Secure, Path=/, no Domain (RFC 6265bis §4.1.3.2). */
export const REFRESH_COOKIE_NAME = "__Host-refresh";

/**
 * Readable by scripts and holding no secret ("1"): set and cleared with the refresh cookie so the
 * web app only calls /auth/refresh on load when a session may exist.
 */
export const SESSION_HINT_COOKIE_NAME = "__Host-session-hint";

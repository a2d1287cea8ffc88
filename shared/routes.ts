// Route paths and the refresh cookie name: the names the server mounts and the web app calls.

export const ROUTES = {
  registerOptions: "/auth/register/options",
  registerVerify: "/auth/register/verify",
  loginOptions: "/auth/login/options",
  loginVerify: "/auth/login/verify",
  refresh: "/auth/refresh",
  logout: "/auth/logout",
  logoutAll: "/auth/logout-all",
  me: "/api/me",
  jwks: "/.well-known/jwks.json",
  openidConfiguration: "/.well-known/openid-configuration",
  health: "/healthz",
} as const;

/** Pages of the single-page web app; the server answers each with index.html. */
export const PAGES = {
  home: "/",
  signIn: "/signin",
  signUp: "/signup",
  account: "/account",
} as const;

/** `__Host-` pins the cookie to this origin: Secure, Path=/, no Domain (RFC 6265bis §4.1.3.2). */
export const REFRESH_COOKIE_NAME = "__Host-refresh";

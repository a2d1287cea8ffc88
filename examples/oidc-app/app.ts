// A separate web app that signs its visitors in with passkeys through the platform, as any app
// would: OpenID Connect with openid-client, authorization code + PKCE. It imports nothing of the
// platform. Its own visitor sessions live in memory (a demo; use your framework's sessions).
import { randomBytes } from "node:crypto";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { html, raw } from "hono/html";
import * as client from "openid-client";

export interface OidcAppOptions {
  /** The platform (its issuer): discovery is at /.well-known/openid-configuration. */
  issuer: string;
  clientId: string;
  /** Only for a confidential client; a public one proves itself with PKCE alone. */
  clientSecret?: string;
  /** This app's origin, e.g. http://localhost:4001: /callback and / are its registered URIs. */
  origin: string;
  /** A service to call with an access token for it (RFC 8707), e.g. examples/resource-server. */
  resource?: string;
}

type Visit = { state: string; nonce: string; codeVerifier: string };
type Visitor = {
  /** The ID token's claims, as openid-client validated them. */
  claims: client.IDToken;
  idToken: string;
  refreshToken: string;
  userinfo: client.UserInfoResponse;
  called?: unknown;
};

type Tokens = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

/** What the visitor keeps from a token response: a refresh answer may carry a new ID token too. */
function keep(tokens: Tokens, previous?: Visitor): Pick<Visitor, "claims" | "idToken" | "refreshToken"> {
  const claims = tokens.claims() ?? previous?.claims;
  return { claims: claims!, idToken: tokens.id_token ?? previous!.idToken, refreshToken: tokens.refresh_token ?? previous!.refreshToken };
}

const COOKIE = "demo-session";

export function createOidcApp(options: OidcAppOptions) {
  let discovered: Promise<client.Configuration> | undefined;
  const config = () => {
    const auth = options.clientSecret ? client.ClientSecretBasic(options.clientSecret) : client.None();
    // http is allowed only for a local platform (development).
    const local = new URL(options.issuer).hostname === "localhost";
    discovered ??= client.discovery(new URL(options.issuer), options.clientId, undefined, auth, local ? { execute: [client.allowInsecureRequests] } : {});
    return discovered;
  };
  const visits = new Map<string, Visit>();
  const visitors = new Map<string, Visitor>();
  const redirectUri = `${options.origin}/callback`;

  const page = (body: string) =>
    html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo app</title>
<style>body{font:16px system-ui;max-width:46rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}a.button,button{display:inline-block;margin:.25rem .5rem .25rem 0}</style>
</head><body><h1>Demo app</h1>${raw(body)}</body></html>`;
  const json = (value: unknown) => JSON.stringify(value, null, 2).replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);

  /**
   * A refresh, or, when the platform refuses it (invalid_grant: the person removed the app, signed
   * out everywhere, was blocked...), the end of this visitor's session here.
   */
  const refreshOrEnd = async (c: Context, visitor: Visitor, parameters?: Record<string, string>) => {
    try {
      return await client.refreshTokenGrant(await config(), visitor.refreshToken, parameters);
    } catch (error) {
      if (!(error instanceof client.ResponseBodyError) || error.error !== "invalid_grant") throw error;
      visitors.delete(getCookie(c, COOKIE) ?? "");
      deleteCookie(c, COOKIE, { path: "/" });
      setCookie(c, `${COOKIE}-notice`, "ended", { httpOnly: true, sameSite: "Lax", path: "/" });
      return undefined;
    }
  };

  return new Hono()
    .get("/", (c) => {
      const visitor = visitors.get(getCookie(c, COOKIE) ?? "");
      if (!visitor) {
        const ended = getCookie(c, `${COOKIE}-notice`) === "ended";
        deleteCookie(c, `${COOKIE}-notice`, { path: "/" });
        const notice = ended
          ? `<p id="access-ended">The platform ended this app's access (you signed out there, removed the app, or were blocked). Sign in again.</p>`
          : "<p>Signed out.</p>";
        return c.html(page(`${notice}<p><a class="button" id="sign-in" href="/login">Sign in with a passkey</a></p>`));
      }
      return c.html(
        page(`<p id="signed-in-as">Signed in as ${json(visitor.userinfo.preferred_username ?? visitor.claims.sub)}</p>
<h2>ID token claims (validated by openid-client)</h2><pre id="id-token-claims">${json(visitor.claims)}</pre>
<h2>Userinfo</h2><pre id="userinfo">${json(visitor.userinfo)}</pre>
${options.resource ? `<form method="post" action="/call"><button id="call">Call ${json(options.resource)} with an access token for it</button></form>` : ""}
${visitor.called === undefined ? "" : `<h2>Its answer</h2><pre id="called">${json(visitor.called)}</pre>`}
<form method="post" action="/refresh"><button id="refresh">Refresh tokens</button></form>
<form method="post" action="/revoke"><button id="revoke">Revoke the refresh token</button></form>
<form method="post" action="/logout"><button id="sign-out">Sign out (here and on the platform)</button></form>`),
      );
    })
    .get("/login", async (c) => {
      const visit: Visit = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
      const id = randomBytes(16).toString("base64url");
      visits.set(id, visit);
      setCookie(c, `${COOKIE}-visit`, id, { httpOnly: true, sameSite: "Lax", path: "/" });
      const url = client.buildAuthorizationUrl(await config(), {
        redirect_uri: redirectUri,
        scope: options.resource ? "openid profile api" : "openid profile",
        code_challenge: await client.calculatePKCECodeChallenge(visit.codeVerifier),
        code_challenge_method: "S256",
        state: visit.state,
        nonce: visit.nonce,
        ...(options.resource ? { resource: options.resource } : {}),
      });
      return c.redirect(url.href);
    })
    .get("/callback", async (c) => {
      const visitId = getCookie(c, `${COOKIE}-visit`) ?? "";
      const visit = visits.get(visitId);
      visits.delete(visitId);
      deleteCookie(c, `${COOKIE}-visit`, { path: "/" });
      if (!visit) return c.html(page(`<p>This sign-in was not started here. <a href="/login">Start again</a>.</p>`), 400);
      const current = new URL(c.req.url);
      if (current.searchParams.has("error")) {
        return c.html(page(`<p id="error">The platform said: ${json(current.searchParams.get("error"))}</p><p><a href="/">Back</a></p>`), 400);
      }
      const tokens = await client.authorizationCodeGrant(await config(), current, {
        pkceCodeVerifier: visit.codeVerifier,
        expectedState: visit.state,
        expectedNonce: visit.nonce,
      });
      const userinfo = await client.fetchUserInfo(await config(), tokens.access_token, tokens.claims()!.sub);
      const id = randomBytes(16).toString("base64url");
      visitors.set(id, { ...keep(tokens), userinfo });
      setCookie(c, COOKIE, id, { httpOnly: true, sameSite: "Lax", path: "/" });
      return c.redirect("/");
    })
    .post("/refresh", async (c) => {
      const visitor = visitors.get(getCookie(c, COOKIE) ?? "");
      if (!visitor) return c.redirect("/");
      const refreshed = await refreshOrEnd(c, visitor);
      if (refreshed) Object.assign(visitor, keep(refreshed, visitor));
      return c.redirect("/");
    })
    .post("/call", async (c) => {
      const visitor = visitors.get(getCookie(c, COOKIE) ?? "");
      if (!visitor || !options.resource) return c.redirect("/");
      // A token for that service alone (its audience), from the refresh token (RFC 8707).
      const forService = await refreshOrEnd(c, visitor, { resource: options.resource });
      if (!forService) return c.redirect("/");
      Object.assign(visitor, keep(forService, visitor));
      const answer = await fetch(new URL("/me", options.resource), { headers: { authorization: `Bearer ${forService.access_token}` } });
      visitor.called = { status: answer.status, body: await answer.json() };
      return c.redirect("/");
    })
    .post("/revoke", async (c) => {
      const visitor = visitors.get(getCookie(c, COOKIE) ?? "");
      if (visitor) await client.tokenRevocation(await config(), visitor.refreshToken);
      visitors.delete(getCookie(c, COOKIE) ?? "");
      deleteCookie(c, COOKIE, { path: "/" });
      return c.redirect("/");
    })
    .post("/logout", async (c) => {
      const id = getCookie(c, COOKIE) ?? "";
      const visitor = visitors.get(id);
      visitors.delete(id);
      deleteCookie(c, COOKIE, { path: "/" });
      if (!visitor) return c.redirect("/");
      const url = client.buildEndSessionUrl(await config(), { id_token_hint: visitor.idToken, post_logout_redirect_uri: `${options.origin}/` });
      return c.redirect(url.href);
    });
}

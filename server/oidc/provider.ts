// The OpenID Provider: panva's oidc-provider (OpenID Certified) configured with our pieces.
// - Sign-in is ours: its login and consent interaction is the web app's page at
//   /oidc/interaction/:uid, which signs in with a passkey (or finds the browser's live platform
//   session) and reports back through routes/oidc.ts.
// - Keys are ours: it signs ID tokens and its JWT access tokens with the platform's signing keys
//   (same JWKS, rotation and revocation); a new provider is built when the published set changes.
// - State is ours: every object it keeps lives in the database through adapter.ts.
// - Platform controls reach it: each of its sessions and grants is tied to the platform session
//   it was made in. While that session is live (not revoked, not past its absolute expiry, the
//   person not blocked) the grant works; ending it (sign-out, sign out everywhere, blocking,
//   reuse detection, revoking it from the account page) deletes the grant and its tokens in the
//   same transaction (db/*/oidc.ts), and findAccount refuses any token of a grant whose session
//   has ended by expiry.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Account, Configuration, default as Provider, Grant, KoaContextWithOIDC } from "oidc-provider";
import { OIDC_ROUTES, PAGES, REFRESH_COOKIE_NAME, routePath, SESSION_HINT_COOKIE_NAME } from "../../shared/routes.ts";
import { recordAuditEvent } from "../auth/audit.ts";
import type { AuthDeps, RequestContext } from "../auth/deps.ts";
import { hashSecretToken } from "../auth/secrets.ts";
import { endSessionByRefreshToken, revokeSession } from "../auth/sessions.ts";
import { SIGNING_ALG } from "../auth/signing-keys.ts";
import { errorFields, type Logger } from "../logger.ts";
import { storeAdapter } from "./adapter.ts";
import { logProviderNotices } from "./notices.ts";

// Loaded after notices.ts has taken over the console (a static import would be hoisted above it,
// in the bundle too): oidc-provider writes a notice as it loads.
const { default: OidcProvider, errors, interactionPolicy } = await import("oidc-provider");

/** The scope a client asks for to get an access token for one of its resources (RFC 8707). */
export const RESOURCE_SCOPE = "api";
/**
 * RFC 8176 methods of every platform sign-in: proof of possession of a key (a passkey, which may
 * be synced, so not claimed as hardware-bound) with user verification required (biometric or
 * PIN on the authenticator), which makes it multi-factor.
 */
export const PASSKEY_AMR = ["pop", "mfa"];
const AUTHORIZATION_CODE_TTL_SECONDS = 60;
/** How long an authorization request may wait for the person at our sign-in page. */
export const INTERACTION_TTL_SECONDS = 600;

/** What findAccount answers: the provider's account, with what the app's access tokens carry. */
type PlatformAccount = Account & { role: string; sessionId: string | null };

export type OidcDeps = Pick<AuthDeps, "config" | "store" | "clock" | "keys"> & { log: Logger };

export interface OidcProvider {
  /** The provider for the keys published now. */
  current(): Provider;
  /** Answers one of the provider's own requests (discovery, authorize, token, ...) on Node's request and response. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createOidcProvider(deps: OidcDeps): OidcProvider {
  let built: { provider: Provider; handler: ReturnType<Provider["callback"]>; jwks: AuthDeps["keys"]["privateJwks"] } | undefined;
  const current = () => {
    if (built?.jwks !== deps.keys.privateJwks) {
      // Its notices (the one from loading included) go to the log once it is first used.
      logProviderNotices(deps.log);
      const provider = buildProvider(deps);
      built = { provider, handler: provider.callback(), jwks: deps.keys.privateJwks };
    }
    return built;
  };
  return {
    current: () => current().provider,
    handle: async (req, res) => {
      await current().handler(req, res);
    },
  };
}

/** Whether a platform session still backs what was signed in with it: not revoked, not past its absolute expiry, its person not blocked. */
async function platformSessionLive(deps: OidcDeps, sessionId: string | null): Promise<boolean> {
  if (sessionId === null) return false;
  const state = await deps.store.sessions.findState(sessionId, ""); // no token here, so no key to check
  return state !== null && state.revokedAt === null && state.blockedAt === null && state.expiresAt > deps.clock.now().getTime();
}

function koaRequestContext(ctx: KoaContextWithOIDC): RequestContext {
  return { ip: ctx.ip || null, userAgent: ctx.get("user-agent") || null };
}

function buildProvider(deps: OidcDeps): Provider {
  const { config, store } = deps;
  const firstParty = async (clientId: string) => (await store.oidc.clients.find(clientId))?.firstParty === true;

  const policy = interactionPolicy.base();
  policy.get("login")!.checks.add(
    new interactionPolicy.Check("platform_session_ended", "the platform session this sign-in came from has ended", async (ctx) => {
      const { session } = ctx.oidc;
      if (!session?.accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT; // no_session asks already
      const live = await platformSessionLive(deps, await store.oidc.sessionOfProviderSession(session.uid));
      return live ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );

  const configuration: Configuration = {
    adapter: storeAdapter(store, deps.clock),
    async findAccount(_ctx, sub, token) {
      const user = await store.users.findById(sub);
      if (!user || user.blockedAt !== null) return undefined;
      // A code, refresh token or access token is only as good as the platform session its grant came from.
      const grantId = (token as { grantId?: string } | undefined)?.grantId;
      const sessionId = grantId === undefined ? null : await store.oidc.sessionOfGrant(grantId);
      if (grantId !== undefined && !(await platformSessionLive(deps, sessionId))) return undefined;
      const account: PlatformAccount = {
        accountId: user.id,
        role: user.role,
        sessionId,
        claims: () => ({ sub: user.id, name: user.displayName, preferred_username: user.username }),
      };
      return account;
    },
    // amr and auth_time go in every ID token: how (a passkey) and when the person proved themselves.
    claims: { openid: ["sub", "amr", "auth_time"], profile: ["name", "preferred_username"] },
    // The platform's own access tokens (RFC 9068, from /auth/refresh) are signed the same way; verifiers pin it.
    discovery: { access_token_signing_alg_values_supported: [SIGNING_ALG] },
    scopes: ["openid", "profile", "offline_access", RESOURCE_SCOPE],
    responseTypes: ["code"],
    clientAuthMethods: ["none", "client_secret_basic", "client_secret_post"],
    // Browser apps (public clients) may call the token endpoint and userinfo from their redirect URIs' origins.
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false,
    pkce: { required: () => true },
    routes: {
      authorization: OIDC_ROUTES.authorization,
      token: OIDC_ROUTES.token,
      userinfo: OIDC_ROUTES.userinfo,
      revocation: OIDC_ROUTES.revocation,
      introspection: OIDC_ROUTES.introspection,
      end_session: OIDC_ROUTES.end_session,
      jwks: OIDC_ROUTES.jwks,
      pushed_authorization_request: OIDC_ROUTES.pushed_authorization_request,
    },
    jwks: { keys: deps.keys.privateJwks as NonNullable<Configuration["jwks"]>["keys"] },
    enabledJWA: {
      idTokenSigningAlgValues: [SIGNING_ALG],
      userinfoSigningAlgValues: [SIGNING_ALG],
      introspectionSigningAlgValues: [SIGNING_ALG],
      authorizationSigningAlgValues: [SIGNING_ALG],
      requestObjectSigningAlgValues: [SIGNING_ALG],
      clientAuthSigningAlgValues: [SIGNING_ALG],
      dPoPSigningAlgValues: [SIGNING_ALG],
    },
    clientDefaults: {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      id_token_signed_response_alg: SIGNING_ALG,
    },
    cookies: {
      keys: [Buffer.from(deps.keys.oidcCookieKey).toString("base64url")],
    },
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      AuthorizationCode: AUTHORIZATION_CODE_TTL_SECONDS,
      IdToken: config.accessTokenTtlSeconds,
      Interaction: INTERACTION_TTL_SECONDS,
      RefreshToken: config.refreshTokenTtlSeconds,
      Session: config.sessionMaxAgeSeconds,
      Grant: config.sessionMaxAgeSeconds,
    },
    // An app gets a refresh token whenever it may use one; it lives no longer than the grant,
    // which lives no longer than the platform session behind it.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    // An app's access token carries what the platform's own do (RFC 9068 plus sid and role), so
    // one verifier (verifier/) accepts both: the platform session it rests on, and the person's role now.
    // The account is the one findAccount just read for this token's code or refresh token: no second read.
    async extraTokenClaims(ctx) {
      const account = ctx.oidc.entities.Account as PlatformAccount | undefined;
      return {
        ...(account?.sessionId ? { sid: account.sessionId } : {}),
        ...(account ? { role: account.role } : {}),
        // When the person last proved themselves with a passkey for this grant, as in the ID token.
        auth_time: (ctx.oidc.entities.RefreshToken ?? ctx.oidc.entities.AuthorizationCode)?.authTime,
      };
    },
    // Every refresh rotates; presenting a used one revokes the grant (oidc-provider's reuse detection).
    rotateRefreshToken: () => true,
    interactions: {
      policy,
      url: (_ctx, interaction) => routePath(PAGES.interaction, { uid: interaction.uid }),
    },
    async loadExistingGrant(ctx) {
      const { session, client, result } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const { accountId } = session;
      // A sign-in that just happened in the interaction names the platform session it used.
      const signedInWith = (result as { platformSessionId?: string } | undefined)?.platformSessionId;
      if (signedInWith !== undefined) await store.oidc.linkSession(session.uid, signedInWith);
      const sessionId = signedInWith ?? (await store.oidc.sessionOfProviderSession(session.uid));
      if (!(await platformSessionLive(deps, sessionId))) return undefined;

      const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (await firstParty(client.clientId)) {
        // A first-party app needs no consent page: what it asks for is granted.
        const isNew = !grant;
        grant ??= new ctx.oidc.provider.Grant({ accountId, clientId: client.clientId });
        grantRequested(ctx, grant);
        await grant.save();
        if (isNew) {
          await recordAuditEvent(deps, koaRequestContext(ctx), {
            type: "app_authorized",
            userId: accountId,
            sessionId,
            detail: { clientId: client.clientId, firstParty: true },
          });
        }
      }
      if (grant) {
        await store.oidc.linkGrant({
          grantId: grant.jti,
          userId: accountId,
          clientId: client.clientId,
          sessionId: sessionId!,
          createdAt: deps.clock.now().getTime(),
        });
      }
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      // Resource servers introspect as confidential clients of their own, so a confidential client
      // may ask about any token; a public client (no secret) only about its own.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => client.clientAuthMethod !== "none" || token.clientId === client.clientId,
      },
      // A client revokes its own tokens only.
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource,
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page("Signed out", "<h1>You are signed out</h1><p>You can close this tab.</p>");
        },
      },
      resourceIndicators: {
        enabled: true,
        // Only what RESOURCES lists and the client was registered for.
        async getResourceServerInfo(_ctx, resourceIndicator, client) {
          const registered = await store.oidc.clients.find(client.clientId);
          if (!config.resources.includes(resourceIndicator) || !registered?.resources.includes(resourceIndicator)) {
            throw new errors.InvalidTarget(`${resourceIndicator} is not a resource this client may ask for`);
          }
          return {
            scope: RESOURCE_SCOPE,
            audience: resourceIndicator,
            accessTokenTTL: config.accessTokenTtlSeconds,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: SIGNING_ALG } },
          };
        },
      },
    },
    // Errors are shown on a plain page (or returned to the client as the specs say); never a stack.
    async renderError(ctx, out) {
      ctx.type = "html";
      ctx.body = page("Sign-in error", `<h1>Sign-in could not continue</h1><p>${escapeHtml(String(out.error_description ?? out.error))}</p>`);
    },
  };

  const provider = new OidcProvider(config.issuer, configuration);
  // routes/oidc.ts presents every request as one to the issuer (host, scheme, and the client
  // address our middleware trusted) in the forwarding headers, which it sets itself.
  provider.proxy = true;
  // Client secrets are stored as SHA-256 only (shown once at registration); oidc-provider compares
  // plain secrets, so the presented one is hashed first. The hash is what it holds as clientSecret.
  (provider.Client.prototype as unknown as { compareClientSecret(actual: string): boolean }).compareClientSecret = function (
    this: { clientSecret?: string },
    actual: string,
  ) {
    const expected = Buffer.from(this.clientSecret ?? "", "hex");
    const presented = Buffer.from(hashSecretToken(actual), "hex");
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  };

  // RP-initiated logout ends the platform session in that browser too: otherwise the next
  // authorization would sign straight back in through it. That is the session the app's sign-in
  // came from, and the one the browser holds now (its refresh cookie comes with the confirmation,
  // a same-site POST); both cookies are cleared.
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    const ended = oidc?.session as { uid: string; destroyed?: boolean } | undefined;
    if (oidc?.route !== "end_session_confirm" || !ended?.destroyed) return;
    const context = koaRequestContext(ctx as KoaContextWithOIDC);
    const presented = ctx.cookies.get(REFRESH_COOKIE_NAME, { signed: false });
    if (presented) await endSessionByRefreshToken(deps, presented, context, "app_logout");
    const sessionId = await store.oidc.sessionOfProviderSession(ended.uid);
    const owner = sessionId === null ? null : await store.sessions.findOwner(sessionId);
    if (sessionId !== null && owner !== null) await revokeSession(deps, { sessionId, userId: owner, reason: "app_logout", context });
    for (const name of [REFRESH_COOKIE_NAME, SESSION_HINT_COOKIE_NAME]) {
      ctx.append("Set-Cookie", `${name}=; Max-Age=0; Path=/; Secure; SameSite=Strict${name === REFRESH_COOKIE_NAME ? "; HttpOnly" : ""}`);
    }
  });
  // A grant oidc-provider revokes itself (a used refresh token presented again, the app revoking
  // its token, a sign-out from the app) is a security event in the person's activity.
  provider.on("grant.revoked", (ctx: KoaContextWithOIDC, grantId: string) => {
    const { entities, route } = ctx.oidc;
    const token = entities.RefreshToken ?? entities.AuthorizationCode ?? entities.AccessToken;
    if (!token?.accountId) return;
    const reason = route === "revocation" ? "revoked_by_app" : route === "end_session_confirm" ? "app_logout" : "token_reuse";
    recordAuditEvent(deps, koaRequestContext(ctx), {
      type: "app_access_revoked",
      userId: token.accountId,
      detail: { clientId: token.clientId, grantId, reason },
    }).catch((error: unknown) => deps.log({ level: "error", msg: "audit of a revoked grant failed", ...errorFields(error) }));
  });
  provider.on("server_error", (_ctx: unknown, error: unknown) => deps.log({ level: "error", msg: "openid provider error", ...errorFields(error) }));
  return provider;
}

/** Adds to `grant` everything the authorization request asks for (scopes, and resource scopes per resource). */
export function grantRequested(ctx: KoaContextWithOIDC, grant: Grant): void {
  const scopes = [...(ctx.oidc.requestParamScopes ?? [])].filter((scope) => scope !== RESOURCE_SCOPE);
  if (scopes.length > 0) grant.addOIDCScope(scopes.join(" "));
  for (const [indicator, server] of Object.entries(ctx.oidc.resourceServers ?? {})) grant.addResourceScope(indicator, server.scope);
}

async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const client = ctx.oidc.client;
  ctx.body = page(
    "Sign out",
    `${form}<h1>Sign out${client?.clientName ? ` of ${escapeHtml(client.clientName)}` : ""}?</h1>
<p>This also signs you out of this platform in this browser.</p>
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`,
  );
}

/** The provider's own pages (sign-out confirmation, errors), in the look of the web app's cards. */
const PAGE_STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:4rem 1rem;color:#111}
main{max-width:30rem;margin:0 auto;border:1px solid #ddd;border-radius:12px;padding:2rem}
h1{font-size:1.5rem;margin-top:0}button{font:inherit;font-weight:600;padding:.6rem 1rem;border-radius:6px;border:1px solid #2358d6;margin-right:.5rem;cursor:pointer}
button[autofocus]{background:#2358d6;color:#fff}button:not([autofocus]){background:#fff;color:#2358d6}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head><body><main>${body}</main></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The OpenID Provider over HTTP: its own endpoints (discovery, authorize, token, userinfo,
// revocation, introspection, end session) answered by oidc-provider on Node's request and
// response; the API of our sign-in and consent page; the apps a person let in. (Admins register
// clients through routes/admin.ts.)
import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { type Context, Hono } from "hono";
import { OIDC_ROUTES, ROUTES } from "../../shared/routes.ts";
import type { AppAccess, InteractionDetails } from "../../shared/schemas.ts";
import { type AppEnv, nodeBindings } from "../app-env.ts";
import { recordAuditEvent } from "../auth/audit.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../errors.ts";
import { requireUser } from "../middleware/require-user.ts";
import { sameOriginOnly } from "../middleware/same-origin.ts";
import { INTERACTION_TTL_SECONDS, PASSKEY_AMR, type OidcProvider } from "../oidc/provider.ts";

/**
 * Node's request and response under this Hono request, which the provider needs (cookies,
 * streaming), presented as a request to the issuer: oidc-provider builds its endpoint URLs from
 * the request's host and scheme, and behind a load balancer (or several instances) those must be
 * the issuer's whatever the proxy forwarded; the client address is the one our middleware
 * trusts (TRUST_PROXY_HOPS), never a header the client wrote.
 */
function issuerRequest(c: Context<AppEnv>, issuer: URL): HttpBindings {
  const env = nodeBindings(c);
  if (!env.incoming || !env.outgoing) throw new AppError("not_found", { message: "The OpenID Provider answers over HTTP only." });
  const { headers } = env.incoming;
  headers.host = issuer.host;
  headers["x-forwarded-host"] = issuer.host;
  headers["x-forwarded-proto"] = issuer.protocol.slice(0, -1);
  const ip = c.get("requestContext")?.ip;
  if (ip) headers["x-forwarded-for"] = ip;
  else delete headers["x-forwarded-for"];
  return env as HttpBindings;
}

const PROVIDER_PAGES_CSP = "frame-ancestors 'none'";

/** The provider's route a path belongs to (its endpoints take suffixes: /oidc/auth/:uid, /oidc/session/end/confirm): bounded label values. */
function providerRoute(path: string): string {
  const routes = [ROUTES.openidConfiguration, ...Object.values(OIDC_ROUTES)].sort((a, b) => b.length - a.length);
  return routes.find((route) => path === route || path.startsWith(`${route}/`)) ?? "/oidc/*";
}

export function oidcRoutes(deps: AuthDeps, oidc: OidcProvider) {
  const signedIn = requireUser(deps);
  const issuer = new URL(deps.config.issuer);
  const nodeBindings = (c: Context<AppEnv>) => issuerRequest(c, issuer);
  const toProvider = async (c: Context<AppEnv>) => {
    const { incoming, outgoing } = nodeBindings(c);
    c.set("routeLabel", providerRoute(c.req.path));
    // The middleware's headers are on Node's response already (presetHeaders). The provider's pages
    // carry their own inline style, and form_post answers an inline script posting to the app:
    // their policy only keeps them out of other sites' frames.
    outgoing.setHeader("Content-Security-Policy", PROVIDER_PAGES_CSP);
    await oidc.handle(incoming, outgoing);
    return RESPONSE_ALREADY_SENT;
  };

  /** The interaction this browser is in (its cookie), which must be the one in the path. */
  const interactionOf = async (c: Context<AppEnv>) => {
    const { incoming, outgoing } = nodeBindings(c);
    const interaction = await oidc
      .current()
      .interactionDetails(incoming, outgoing)
      .catch(() => null);
    if (!interaction || interaction.uid !== c.req.param("uid")) {
      throw new AppError("not_found", { message: "This sign-in request has ended or expired: go back to the app and start again." });
    }
    return interaction;
  };
  const finish = async (c: Context<AppEnv>, result: Record<string, unknown>, merge: boolean) => {
    const { incoming, outgoing } = nodeBindings(c);
    const redirectTo = await oidc.current().interactionResult(incoming, outgoing, result, { mergeWithLastSubmission: merge });
    return c.json({ redirectTo });
  };

  return (
    new Hono<AppEnv>()
      .get(ROUTES.openidConfiguration, toProvider)
      .use("/oidc/interaction/*", sameOriginOnly(deps.config.origins))
      .get(ROUTES.interactionDetails, async (c) => {
        const interaction = await interactionOf(c);
        const client = await deps.store.oidc.clients.find(String(interaction.params.client_id));
        if (!client) throw new AppError("not_found", { message: "The app that asked is no longer registered." });
        const { prompt, params } = interaction;
        const maxAge = params.max_age === undefined ? null : Number(params.max_age);
        const details: InteractionDetails = {
          uid: interaction.uid,
          prompt: prompt.name === "consent" ? "consent" : "login",
          client: { id: client.clientId, name: client.name, firstParty: client.firstParty },
          scopes: String(params.scope ?? "")
            .split(" ")
            .filter(Boolean),
          resources: [params.resource ?? []].flat().map(String),
          reauthenticate: prompt.reasons.includes("login_prompt") || prompt.reasons.includes("max_age"),
          maxAge,
        };
        return c.json(details);
      })
      // The person is signed in on the platform (the bearer token): that sign-in answers the
      // provider's login prompt, with its time and method. A fresh sign-in is required when the
      // app asked for one (prompt=login) or its max_age is shorter than this session's last
      // passkey use: the page signs in again first.
      .post(ROUTES.interactionLogin, signedIn, async (c) => {
        const interaction = await interactionOf(c);
        if (interaction.prompt.name !== "login") throw new AppError("invalid_request", { message: "This request is not asking to sign in." });
        const { verifiedAt, userId, sessionId } = c.get("auth");
        const { params, prompt } = interaction;
        const now = deps.clock.now().getTime();
        // prompt=login: the passkey must have been used after the request began (iat is in whole
        // seconds), so never longer ago than a request lives.
        const predatesRequest = Math.floor(verifiedAt / 1000) < interaction.iat || now - verifiedAt > INTERACTION_TTL_SECONDS * 1000;
        const stale =
          (prompt.reasons.includes("login_prompt") && predatesRequest) || (params.max_age !== undefined && now - verifiedAt > Number(params.max_age) * 1000);
        if (stale) throw new AppError("reauthentication_required", { message: "The app asked for a fresh sign-in with your passkey." });
        return finish(
          c,
          { login: { accountId: userId, ts: Math.floor(verifiedAt / 1000), amr: PASSKEY_AMR, remember: true }, platformSessionId: sessionId },
          false,
        );
      })
      .post(ROUTES.interactionConsent, signedIn, async (c) => {
        const interaction = await interactionOf(c);
        if (interaction.prompt.name !== "consent") throw new AppError("invalid_request", { message: "This request is not asking for consent." });
        if (interaction.session?.accountId !== c.get("auth").userId) throw new AppError("forbidden", { message: "Sign in as the person this request is for." });
        const provider = oidc.current();
        const clientId = String(interaction.params.client_id);
        const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
        const grant = existing ?? new provider.Grant({ accountId: c.get("auth").userId, clientId });
        const details = interaction.prompt.details as {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
          missingResourceScopes?: Record<string, string[]>;
        };
        if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(" "));
        if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(" "));
        const grantId = await grant.save();
        await recordAuditEvent(deps, c.get("requestContext"), {
          type: "app_authorized",
          userId: c.get("auth").userId,
          sessionId: c.get("auth").sessionId,
          detail: { clientId, scopes: details.missingOIDCScope ?? [], resources: Object.keys(details.missingResourceScopes ?? {}) },
        });
        return finish(c, { consent: { grantId } }, true);
      })
      .post(ROUTES.interactionAbort, async (c) => {
        await interactionOf(c);
        return finish(c, { error: "access_denied", error_description: "The person declined to sign in to this app." }, false);
      })
      // Everything else under /oidc/ is the provider's.
      .all("/oidc/*", async (c, next) => (c.req.path.startsWith("/oidc/interaction/") ? next() : toProvider(c)))
      .get(ROUTES.apps, signedIn, async (c) => {
        const grants = await deps.store.oidc.listGrantsOfUser(c.get("auth").userId);
        const byClient = new Map<string, AppAccess>();
        for (const grant of grants) {
          const app = byClient.get(grant.clientId);
          const grantedAt = new Date(grant.createdAt).toISOString();
          if (!app) byClient.set(grant.clientId, { clientId: grant.clientId, name: grant.clientName, grantedAt, sessionIds: [grant.sessionId] });
          else {
            app.sessionIds.push(grant.sessionId);
            if (grantedAt < app.grantedAt) app.grantedAt = grantedAt;
          }
        }
        return c.json([...byClient.values()]);
      })
      .delete(ROUTES.app, signedIn, async (c) => {
        const clientId = c.req.param("clientId");
        const grants = (await deps.store.oidc.listGrantsOfUser(c.get("auth").userId)).filter((grant) => grant.clientId === clientId);
        if (grants.length === 0) throw new AppError("not_found", { message: "This app has no access to your account." });
        for (const grant of grants) await deps.store.oidc.revokeGrant(grant.grantId);
        await recordAuditEvent(deps, c.get("requestContext"), {
          type: "app_access_revoked",
          userId: c.get("auth").userId,
          sessionId: c.get("auth").sessionId,
          detail: { clientId, name: grants[0]!.clientName },
        });
        return c.body(null, 204);
      })
  );
}

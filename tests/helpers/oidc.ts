// OpenID Provider test helpers: openid-client (a client library nobody here wrote) configured for
// a local issuer, clients registered as an admin would, and a user agent that walks an
// authorization request over real HTTP as a browser would, answering our sign-in and consent
// page's API with a platform access token.
import * as client from "openid-client";
import { ROUTES, routePath } from "../../shared/routes.ts";
import type { OidcClientInput, RegisteredClient } from "../../shared/schemas.ts";
import type { AuthDeps } from "../../server/auth/deps.ts";
import { registerClient } from "../../server/oidc/clients.ts";

export const APP_REDIRECT_URI = "http://localhost:4001/callback";
export const APP_LOGOUT_URI = "http://localhost:4001/signed-out";

export async function registerTestClient(
  deps: Pick<AuthDeps, "config" | "store" | "clock">,
  input: Partial<OidcClientInput> & { name?: string } = {},
): Promise<RegisteredClient> {
  return registerClient(
    deps,
    {
      name: input.name ?? "Test app",
      redirectUris: input.redirectUris ?? [APP_REDIRECT_URI],
      postLogoutRedirectUris: input.postLogoutRedirectUris ?? [APP_LOGOUT_URI],
      resources: input.resources ?? [],
      confidential: input.confidential ?? false,
      firstParty: input.firstParty ?? false,
    },
    { userId: null, context: { ip: null, userAgent: "test" } },
  );
}

/**
 * openid-client's configuration from our discovery document (http is allowed: the issuer is
 * localhost). `via` sends each of its requests to a server of its choice (several instances).
 */
export async function discover(origin: string, registered: RegisteredClient, via?: (url: URL) => URL): Promise<client.Configuration> {
  const auth = registered.clientSecret === null ? client.None() : client.ClientSecretBasic(registered.clientSecret);
  return client.discovery(new URL(origin), registered.client.clientId, undefined, auth, {
    execute: [client.allowInsecureRequests],
    ...(via ? { [client.customFetch]: (url: string, options: client.CustomFetchOptions) => fetch(via(new URL(url)), options as RequestInit) } : {}),
  });
}

/** An authorization request as an app makes it: PKCE S256, state and nonce. */
export async function authorizationRequest(config: client.Configuration, extra: Record<string, string> = {}) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: APP_REDIRECT_URI,
    scope: "openid profile",
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...extra,
  });
  return { url, codeVerifier, state, nonce };
}

/** A browser's cookie jar and redirects, by hand: follows an authorization request to the app's redirect URI. */
export class UserAgent {
  private readonly cookies = new Map<string, string>();
  /** What the sign-in page did along the way ("details:login", "login", "consent"), in order. */
  readonly steps: string[] = [];

  /** `via` picks the server each request goes to (several instances behind one origin); by default, the origin itself. */
  constructor(
    readonly origin: string,
    private readonly via: (url: URL) => URL = (url) => url,
  ) {}

  async fetch(url: string | URL, init: RequestInit & { bearer?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const jar = [...this.cookies].map(([name, value]) => `${name}=${value}`);
    const given = headers.get("cookie"); // a cookie the test adds for this request (the platform's refresh cookie)
    if (jar.length > 0 || given) headers.set("cookie", [given, ...jar].filter(Boolean).join("; "));
    if (init.bearer) headers.set("authorization", `Bearer ${init.bearer}`);
    if (init.method === "POST") {
      headers.set("origin", this.origin);
      headers.set("sec-fetch-site", "same-origin");
    }
    const response = await fetch(this.via(new URL(url, this.origin)), { ...init, headers, redirect: "manual" });
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";");
      const index = pair!.indexOf("=");
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /**
   * Follows `url` through the provider. At our sign-in page it answers the login prompt with
   * `accessToken` (a platform session) and, when `consent` says so, the consent prompt. Returns
   * the URL the provider finally sends the browser to at the app (with code, or error).
   */
  async authorize(url: URL | string, options: { accessToken?: string; consent?: boolean } = {}): Promise<URL> {
    let next = new URL(url, this.origin);
    for (let hop = 0; hop < 10; hop++) {
      if (next.origin !== this.origin) return next; // back at the app
      const interaction = /^\/oidc\/interaction\/([^/]+)$/.exec(next.pathname);
      if (interaction) {
        const uid = interaction[1]!;
        const detailsResponse = await this.fetch(routePath(ROUTES.interactionDetails, { uid }));
        if (detailsResponse.status !== 200) throw new Error(`interaction details: ${detailsResponse.status} ${await detailsResponse.text()}`);
        const details = (await detailsResponse.json()) as { prompt: string };
        this.steps.push(`details:${details.prompt}`);
        const route = details.prompt === "login" ? ROUTES.interactionLogin : options.consent === false ? ROUTES.interactionAbort : ROUTES.interactionConsent;
        this.steps.push(route === ROUTES.interactionLogin ? "login" : route === ROUTES.interactionConsent ? "consent" : "abort");
        const answer = await this.fetch(routePath(route, { uid }), { method: "POST", bearer: options.accessToken });
        if (answer.status !== 200) throw new InteractionRefused(answer.status, await answer.json());
        next = new URL(((await answer.json()) as { redirectTo: string }).redirectTo, this.origin);
        continue;
      }
      const response = await this.fetch(next);
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || !location) {
        throw new ProviderPage(response.status, await response.text());
      }
      next = new URL(location, next);
    }
    throw new Error("too many redirects");
  }
}

/** Our sign-in page's API refused to go on (the body is our {error: {code, message}}). */
export class InteractionRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: { code: string; message: string } },
  ) {
    super(`interaction refused: ${status} ${body.error.code}`);
  }
}

/** The provider answered with a page of its own (an error it must not redirect with, RFC 6749 §4.1.2.1). */
export class ProviderPage extends Error {
  constructor(
    readonly status: number,
    readonly html: string,
  ) {
    super(`provider page ${status}`);
  }
}

// The OpenID Provider over real HTTP, driven by openid-client: the code flow with PKCE, ID token
// validation by the client, userinfo, refresh with rotation and reuse detection, resource
// indicators, introspection, revocation; and every refusal the specs require. Runs on both
// engines (the postgres project includes tests/http).
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as client from "openid-client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as v from "valibot";
import { OPERATIONS, type Operation } from "../../shared/api.ts";
import { OIDC_ROUTES, REFRESH_COOKIE_NAME, ROUTES, routePath } from "../../shared/routes.ts";
import { createTokenVerifier } from "../../verifier/index.ts";
import { startClockedServer, type ClockedServer } from "../helpers/clocked-server.ts";
import { json } from "../helpers/harness.ts";
import { APP_REDIRECT_URI, authorizationRequest, discover, InteractionRefused, ProviderPage, registerTestClient, UserAgent } from "../helpers/oidc.ts";

const RESOURCE = "https://api.example.test";

let t: ClockedServer;
beforeEach(async () => {
  t = await startClockedServer({ RESOURCES: RESOURCE });
});
afterEach(() => t.stop());

/** A person signed up on the platform in this browser: their access token answers the sign-in page. */
async function person(username = "alice") {
  const browser = t.browser();
  const tokens = await browser.signUp(username);
  return { browser, accessToken: tokens.accessToken, userId: tokens.user.id, agent: new UserAgent(t.origin) };
}

/** An authorization request answered at our page (signed in with the person's session, consent given): the app's callback URL. */
async function authorize(config: client.Configuration, who: Awaited<ReturnType<typeof person>>, extra: Record<string, string> = {}) {
  const request = await authorizationRequest(config, extra);
  return { request, callback: await who.agent.authorize(request.url, { accessToken: who.accessToken }) };
}

/** An app's whole sign-in: authorize (signing in and consenting at our page), then the code exchange. */
async function signInToApp(config: client.Configuration, who: Awaited<ReturnType<typeof person>>, extra: Record<string, string> = {}) {
  const { request, callback } = await authorize(config, who, extra);
  const tokens = await client.authorizationCodeGrant(
    config,
    callback,
    { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce },
    extra.resource ? { resource: extra.resource } : undefined,
  );
  return { request, callback, tokens };
}

async function oauthError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "the request should have been refused").toBeInstanceOf(client.ResponseBodyError);
  return (error as client.ResponseBodyError).error;
}

describe("sign in with passkeys from an app (authorization code + PKCE)", () => {
  it("gives openid-client a code, an ID token it validates, userinfo and a rotated refresh token", async () => {
    const registered = await registerTestClient(t);
    const config = await discover(t.origin, registered);
    const alice = await person();

    const { tokens } = await signInToApp(config, alice);
    expect(alice.agent.steps).toEqual(["details:login", "login", "details:consent", "consent"]);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(alice.userId);
    expect(claims.iss).toBe(t.origin);
    expect(claims.aud).toBe(registered.client.clientId);
    expect(claims.amr).toEqual(["pop", "mfa"]);
    // auth_time is when the person last proved themselves with a passkey: the sign-up here.
    expect(Math.abs((claims.auth_time as number) - Math.floor(t.clock.now().getTime() / 1000))).toBeLessThanOrEqual(1);
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${t.origin}${ROUTES.jwks}`)), {
      issuer: t.origin,
      audience: registered.client.clientId,
      algorithms: ["ES256"],
      currentDate: t.clock.now(),
    });
    expect(protectedHeader.kid).toBe(t.keys.current.kid);
    expect(payload.nonce).toBeDefined();

    const info = await client.fetchUserInfo(config, tokens.access_token, alice.userId);
    expect(info).toMatchObject({ sub: alice.userId, preferred_username: "alice", name: "alice" });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    // Logged and counted by the provider's route, never the raw path (bounded label values).
    const routes = new Set(t.logs.filter((entry) => entry.msg === "request").map((entry) => entry.route));
    for (const route of [OIDC_ROUTES.authorization, OIDC_ROUTES.token, OIDC_ROUTES.userinfo, ROUTES.interactionLogin]) expect(routes).toContain(route);
    expect([...routes].filter((route) => String(route).startsWith("/oidc/auth/"))).toEqual([]);
  });

  it("keeps the provider's state in the database, not in the process", async () => {
    const registered = await registerTestClient(t);
    const config = await discover(t.origin, registered);
    await signInToApp(config, await person());
    const models = new Set((await t.db.rows("oidc_payloads")).map((row) => row.model));
    expect([...models].sort()).toEqual(expect.arrayContaining(["AccessToken", "AuthorizationCode", "Grant", "RefreshToken", "Session"]));
  });

  it("asks a first-party app for no consent, and a live platform session for no second sign-in", async () => {
    const registered = await registerTestClient(t, { firstParty: true });
    const config = await discover(t.origin, registered);
    const alice = await person();
    await signInToApp(config, alice);
    expect(alice.agent.steps).toEqual(["details:login", "login"]);
    // The provider's session in this browser is signed in: a second app sign-in needs no page at all.
    alice.agent.steps.length = 0;
    await signInToApp(config, alice);
    expect(alice.agent.steps).toEqual([]);
  });

  it("requires a fresh passkey sign-in for prompt=login and for a max_age the session's last passkey use exceeds", async () => {
    const registered = await registerTestClient(t, { firstParty: true });
    const config = await discover(t.origin, registered);
    const alice = await person();
    t.clock.advance(601); // longer ago than a request lives, and than max_age
    alice.accessToken = (await json(await alice.browser.refresh())).accessToken;
    for (const extra of [{ prompt: "login" }, { max_age: "60" }] as Record<string, string>[]) {
      const request = await authorizationRequest(config, extra);
      const refused = await alice.agent.authorize(request.url, { accessToken: alice.accessToken }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InteractionRefused);
      expect((refused as InteractionRefused).body.error.code).toBe("reauthentication_required");
    }
    // A passkey step-up in the platform session answers it; auth_time says when.
    expect((await alice.browser.stepUp(alice.accessToken)).status).toBe(204);
    const { tokens } = await signInToApp(config, alice, { max_age: "60" });
    expect(tokens.claims()!.auth_time).toBe(Math.floor(t.clock.now().getTime() / 1000));
  });

  it("gives an access token for a registered resource with that resource as its audience (RFC 8707), and refuses others", async () => {
    const registered = await registerTestClient(t, { resources: [RESOURCE], firstParty: true });
    const config = await discover(t.origin, registered);
    const alice = await person();
    const { tokens } = await signInToApp(config, alice, { resource: RESOURCE, scope: "openid profile api" });
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${t.origin}${ROUTES.jwks}`)), {
      issuer: t.origin,
      audience: RESOURCE,
      algorithms: ["ES256"],
      typ: "at+jwt",
      currentDate: t.clock.now(),
    });
    expect(payload.sub).toBe(alice.userId);
    expect(protectedHeader.typ).toBe("at+jwt");
    // Shaped like the platform's own tokens, so the verifier services use accepts it as one.
    const verifier = createTokenVerifier({ issuer: t.origin, audience: RESOURCE, jwksUri: `${t.origin}${ROUTES.jwks}`, now: () => t.clock.now() });
    const verified = await verifier.verify(tokens.access_token);
    expect(verified).toMatchObject({ ok: true, claims: { sub: alice.userId, role: "user", clientId: registered.client.clientId } });
    expect((verified as { claims: { sid: string } }).claims.sid).toBe((await t.store.oidc.listGrantsOfUser(alice.userId))[0]!.sessionId);

    const other = await authorizationRequest(config, { resource: "https://elsewhere.example.test", scope: "openid api" });
    const refused = await alice.agent.authorize(other.url, { accessToken: alice.accessToken });
    expect(refused.origin + refused.pathname).toBe(APP_REDIRECT_URI);
    expect(refused.searchParams.get("error")).toBe("invalid_target");
  });
});

describe("discovery and the sign-in page's API", () => {
  const documented = (id: keyof typeof OPERATIONS, body: unknown) => {
    const result = v.safeParse((OPERATIONS[id] as Operation).success.schema!, body);
    expect(
      result.issues?.map((issue) => `${v.getDotPath(issue)}: ${issue.message}`),
      id,
    ).toBeUndefined();
    return body;
  };

  it("publishes every endpoint at /.well-known/openid-configuration, with S256 the only PKCE method", async () => {
    const response = await fetch(`${t.origin}${ROUTES.openidConfiguration}`);
    const discovery = documented("openidConfiguration", await response.json());
    expect(discovery).toMatchObject({
      issuer: t.origin,
      jwks_uri: `${t.origin}${ROUTES.jwks}`,
      authorization_endpoint: `${t.origin}${OIDC_ROUTES.authorization}`,
      token_endpoint: `${t.origin}${OIDC_ROUTES.token}`,
      userinfo_endpoint: `${t.origin}${OIDC_ROUTES.userinfo}`,
      revocation_endpoint: `${t.origin}${OIDC_ROUTES.revocation}`,
      introspection_endpoint: `${t.origin}${OIDC_ROUTES.introspection}`,
      end_session_endpoint: `${t.origin}${OIDC_ROUTES.end_session}`,
      code_challenge_methods_supported: ["S256"],
      response_types_supported: ["code"],
      id_token_signing_alg_values_supported: ["ES256"],
    });
  });

  it("keeps its pages (sign-out confirmation, errors) out of other sites' frames", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const logout = await fetch(client.buildEndSessionUrl(config, {}));
    expect(logout.status).toBe(200);
    expect(logout.headers.get("x-frame-options")).toBe("DENY");
    expect(logout.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
  });

  it("signs ID tokens with the current signing key, also after a rotation", async () => {
    const registered = await registerTestClient(t, { firstParty: true });
    const config = await discover(t.origin, registered);
    const alice = await person();
    const kidOf = (idToken: string) => JSON.parse(Buffer.from(idToken.split(".")[0]!, "base64url").toString()).kid;
    expect(kidOf((await signInToApp(config, alice)).tokens.id_token!)).toBe(t.keys.current.kid);
    const rotated = await t.keys.rotate();
    expect(kidOf((await signInToApp(config, alice)).tokens.id_token!)).toBe(rotated);
  });

  it("answers as /openapi.json documents: details, login, consent and abort", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const alice = await person();
    /** Follows provider redirects to the next stop at our sign-in page; its uid. */
    const nextInteraction = async (url: string | URL) => {
      let next = new URL(url, t.origin);
      while (!next.pathname.startsWith("/oidc/interaction/")) next = new URL((await alice.agent.fetch(next)).headers.get("location")!, next);
      return next.pathname.split("/")[3]!;
    };
    const answer = async (id: "interactionLogin" | "interactionConsent" | "interactionAbort", uid: string, bearer?: string) => {
      const response = await alice.agent.fetch(routePath(OPERATIONS[id].path, { uid }), { method: "POST", bearer });
      expect(response.status, id).toBe(200);
      return documented(id, await response.json()) as { redirectTo: string };
    };
    const details = async (uid: string) => documented("interactionDetails", await json(await alice.agent.fetch(routePath(ROUTES.interactionDetails, { uid }))));

    let uid = await nextInteraction((await authorizationRequest(config)).url);
    expect(await details(uid)).toMatchObject({ prompt: "login", client: { name: "Test app", firstParty: false }, scopes: ["openid", "profile"] });
    uid = await nextInteraction((await answer("interactionLogin", uid, alice.accessToken)).redirectTo);
    expect(await details(uid)).toMatchObject({ prompt: "consent" });
    await answer("interactionConsent", uid, alice.accessToken);

    const declined = await nextInteraction((await authorizationRequest(config, { prompt: "consent" })).url);
    const back = await alice.agent.authorize((await answer("interactionAbort", declined)).redirectTo);
    expect(back.searchParams.get("error")).toBe("access_denied");
    // An interaction that is not this browser's (no cookie for it) is not found.
    expect((await fetch(`${t.origin}${routePath(ROUTES.interactionDetails, { uid: declined })}`)).status).toBe(404);
  });
});

describe("refusals the specs require", () => {
  it("refuses a redirect URI that is not registered exactly, without redirecting to it", async () => {
    const registered = await registerTestClient(t);
    const config = await discover(t.origin, registered);
    const alice = await person();
    for (const redirect of ["http://localhost:4001/other", `${APP_REDIRECT_URI}/extra`, `${APP_REDIRECT_URI}?x=1`, "https://evil.example/callback"]) {
      const request = await authorizationRequest(config, { redirect_uri: redirect });
      const page = await alice.agent.authorize(request.url, { accessToken: alice.accessToken }).catch((e: unknown) => e);
      expect(page, redirect).toBeInstanceOf(ProviderPage);
      expect((page as ProviderPage).status).toBe(400);
      expect((page as ProviderPage).html).toContain("redirect_uri");
    }
  });

  it("refuses a request without PKCE, and one with plain PKCE", async () => {
    const registered = await registerTestClient(t);
    const config = await discover(t.origin, registered);
    const alice = await person();
    const withoutPkce = client.buildAuthorizationUrl(config, { redirect_uri: APP_REDIRECT_URI, scope: "openid", state: "s", nonce: "n" });
    const refused = await alice.agent.authorize(withoutPkce, { accessToken: alice.accessToken });
    expect(refused.searchParams.get("error")).toBe("invalid_request");
    expect(refused.searchParams.get("error_description")).toMatch(/PKCE/);

    const plain = client.buildAuthorizationUrl(config, {
      redirect_uri: APP_REDIRECT_URI,
      scope: "openid",
      code_challenge: "a".repeat(43),
      code_challenge_method: "plain",
    });
    const refusedPlain = await alice.agent.authorize(plain, { accessToken: alice.accessToken });
    expect(refusedPlain.searchParams.get("error")).toBe("invalid_request");
    expect(refusedPlain.searchParams.get("error_description")).toMatch(/code_challenge_method/);
  });

  it("refuses a replayed code and revokes the tokens it issued", async () => {
    const registered = await registerTestClient(t);
    const config = await discover(t.origin, registered);
    const alice = await person();
    const { request, callback, tokens } = await signInToApp(config, alice);
    const replay = client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state });
    expect(await oauthError(replay)).toBe("invalid_grant");
    expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe("invalid_grant");
    const introspected = await introspect(tokens.access_token);
    expect(introspected.active).toBe(false);
  });

  it("refuses a code used by another client, and an expired code", async () => {
    const registered = await registerTestClient(t);
    const config = await discover(t.origin, registered);
    const thief = await discover(t.origin, await registerTestClient(t, { name: "Other app" }));
    const alice = await person();
    const { request, callback } = await authorize(config, alice);
    const stolen = client.authorizationCodeGrant(thief, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state });
    expect(await oauthError(stolen)).toBe("invalid_grant");

    const { request: late, callback: lateCallback } = await authorize(config, alice);
    t.clock.advance(61); // codes live 60 s
    const expired = client.authorizationCodeGrant(config, lateCallback, { pkceCodeVerifier: late.codeVerifier, expectedState: late.state });
    expect(await oauthError(expired)).toBe("invalid_grant");
  });

  it("refuses a wrong PKCE verifier", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const alice = await person();
    const { request, callback } = await authorize(config, alice);
    const wrong = client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: request.state });
    expect(await oauthError(wrong)).toBe("invalid_grant");
  });

  it("lets the client catch a mismatched nonce in the ID token", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const alice = await person();
    const { request, callback } = await authorize(config, alice);
    const mismatched = client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: "not-the-nonce-sent",
    });
    await expect(mismatched).rejects.toMatchObject({ code: "OAUTH_JWT_CLAIM_COMPARISON_FAILED", cause: { message: expect.stringMatching(/"nonce"/) } });
  });

  it("detects refresh token reuse and revokes the grant", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const alice = await person();
    const { tokens } = await signInToApp(config, alice);
    const rotated = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe("invalid_grant");
    // The thief's replay ended the whole grant: the legitimate successor is dead too.
    expect(await oauthError(client.refreshTokenGrant(config, rotated.refresh_token!))).toBe("invalid_grant");
    expect(await t.store.oidc.listGrantsOfUser(alice.userId)).toEqual([]);
    // And the person's activity says so.
    await vi.waitFor(
      async () => {
        const events = await t.store.audit.list({ userId: alice.userId, type: "app_access_revoked", limit: 10 });
        expect(events.map((event) => event.detail.reason)).toEqual(["token_reuse"]);
      },
      { timeout: 5000 },
    );
  });

  it("refuses a blocked person at the sign-in page, at the code exchange, at refresh and at userinfo", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const alice = await person();
    const { tokens } = await signInToApp(config, alice);
    const { request: pending, callback } = await authorize(config, alice);
    await t.store.users.change({ id: alice.userId, blockedAt: t.clock.now().getTime(), allowNoActiveAdmin: true, now: t.clock.now().getTime() });

    const exchange = client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state });
    expect(await oauthError(exchange)).toBe("invalid_grant");
    expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe("invalid_grant");
    await expect(client.fetchUserInfo(config, tokens.access_token, alice.userId)).rejects.toThrow();
    const again = await authorizationRequest(config);
    const refused = await alice.agent.authorize(again.url, { accessToken: alice.accessToken }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InteractionRefused);
    expect((refused as InteractionRefused).body.error.code).toBe("account_blocked");
  });

  it("ends an app's grant when the person signs out everywhere, and asks them to sign in again", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const alice = await person();
    const { tokens } = await signInToApp(config, alice);
    expect(await t.store.oidc.listGrantsOfUser(alice.userId)).toHaveLength(1);
    expect((await alice.browser.post(ROUTES.logoutAll, { bearer: alice.accessToken })).status).toBe(204);

    expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe("invalid_grant");
    expect((await introspect(tokens.access_token)).active).toBe(false);
    expect(await t.store.oidc.listGrantsOfUser(alice.userId)).toEqual([]);
    // The provider's session in that browser ended with it: prompt=none cannot sign in silently.
    const silent = await authorizationRequest(config, { prompt: "none" });
    const answer = await alice.agent.authorize(silent.url);
    expect(answer.searchParams.get("error")).toBe("login_required");
  });

  it("ends an app's grant when the session it was given in is revoked, and keeps grants given in other sessions", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const laptop = await person();
    const phone = t.browser();
    laptop.browser.sharePasskeysWith(phone);
    const phoneTokens = await phone.signIn();
    const onLaptop = await signInToApp(config, laptop);
    const onPhone = await signInToApp(config, { ...laptop, browser: phone, accessToken: phoneTokens.accessToken, agent: new UserAgent(t.origin) });

    const laptopSession = (await json(await laptop.browser.get(ROUTES.sessions, { bearer: laptop.accessToken }))).find(
      (s: { current: boolean }) => s.current,
    ).id;
    expect((await phone.request("DELETE", routePath(ROUTES.session, { id: laptopSession }), { bearer: phoneTokens.accessToken })).status).toBe(204);
    expect(await oauthError(client.refreshTokenGrant(config, onLaptop.tokens.refresh_token!))).toBe("invalid_grant");
    await client.refreshTokenGrant(config, onPhone.tokens.refresh_token!);
  });
});

describe("RP-initiated logout", () => {
  it("signs the person out of the app and of the platform in that browser, the session it signed in with and the one it holds now", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const alice = await person();
    const { tokens } = await signInToApp(config, alice);
    // Signed in again in the same browser since: it holds a newer platform session now.
    const latest = await alice.browser.signIn();
    const confirm = await alice.agent.fetch(client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }));
    const form = await confirm.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)![1]!;
    const action = /action="([^"]+)"/.exec(form)![1]!;
    const done = await alice.agent.fetch(action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: `${REFRESH_COOKIE_NAME}=${alice.browser.refreshCookie}` },
      body: new URLSearchParams({ xsrf, logout: "yes" }),
    });
    expect(done.status).toBeLessThan(400);
    expect(done.headers.getSetCookie().some((cookie) => cookie.startsWith(`${REFRESH_COOKIE_NAME}=;`) && /Max-Age=0/.test(cookie))).toBe(true);
    // Both platform sessions ended; the app's tokens with them.
    expect((await json(await alice.browser.refresh())).error.code).toBe("session_revoked");
    expect((await json(await alice.browser.get(ROUTES.me, { bearer: alice.accessToken }))).error.code).toBe("session_revoked");
    expect((await json(await alice.browser.get(ROUTES.me, { bearer: latest.accessToken }))).error.code).toBe("session_revoked");
    expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe("invalid_grant");
    const ended = await t.store.audit.list({ userId: alice.userId, type: "session_revoked", limit: 10 });
    expect(ended.map((event) => event.detail.reason)).toEqual(["app_logout", "app_logout"]);
  });
});

describe("revocation (RFC 7009) and introspection (RFC 7662)", () => {
  it("revokes a refresh token with its grant, and introspection tells a resource server", async () => {
    const config = await discover(t.origin, await registerTestClient(t));
    const alice = await person();
    const { tokens } = await signInToApp(config, alice);
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, sub: alice.userId });
    await client.tokenRevocation(config, tokens.refresh_token!);
    expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe("invalid_grant");
    expect((await introspect(tokens.access_token)).active).toBe(false);
  });

  it("answers introspection only to an authenticated client", async () => {
    const resourceServer = await registerTestClient(t, { name: "Resource server", confidential: true });
    const ask = (authorization?: string) =>
      fetch(`${t.origin}/oidc/token/introspection`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...(authorization ? { authorization } : {}) },
        body: "token=anything",
      });
    const anonymous = await ask();
    expect(anonymous.status).toBe(400);
    expect((await anonymous.json()).error).toBe("invalid_request");
    const wrongSecret = await ask(`Basic ${Buffer.from(`${resourceServer.client.clientId}:${"x".repeat(43)}`).toString("base64")}`);
    expect(wrongSecret.status).toBe(401);
    expect((await wrongSecret.json()).error).toBe("invalid_client");
    const rightSecret = await ask(`Basic ${Buffer.from(`${resourceServer.client.clientId}:${resourceServer.clientSecret}`).toString("base64")}`);
    expect(await rightSecret.json()).toEqual({ active: false });
  });
});

describe("apps with access, and client registration", () => {
  it("lists the apps a person let in, and removing one ends its tokens", async () => {
    const registered = await registerTestClient(t, { name: "Photo app" });
    const config = await discover(t.origin, registered);
    const alice = await person();
    const { tokens } = await signInToApp(config, alice);
    const apps = await json(await alice.browser.get(ROUTES.apps, { bearer: alice.accessToken }));
    expect(apps).toEqual([expect.objectContaining({ clientId: registered.client.clientId, name: "Photo app" })]);
    const removed = await alice.browser.request("DELETE", routePath(ROUTES.app, { clientId: registered.client.clientId }), { bearer: alice.accessToken });
    expect(removed.status).toBe(204);
    expect(await json(await alice.browser.get(ROUTES.apps, { bearer: alice.accessToken }))).toEqual([]);
    expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe("invalid_grant");
    const again = await alice.browser.request("DELETE", routePath(ROUTES.app, { clientId: registered.client.clientId }), { bearer: alice.accessToken });
    expect((await json(again)).error.code).toBe("not_found");
  });

  it("registers clients from the admin API with the secret shown once and stored hashed", async () => {
    const admin = t.browser();
    const { accessToken } = await admin.signUp("root");
    await t.store.users.change({
      id: (await t.store.users.findByUsername("root"))!.id,
      role: "admin",
      allowNoActiveAdmin: true,
      now: t.clock.now().getTime(),
    });
    const created = await admin.post(ROUTES.adminClients, {
      bearer: accessToken,
      body: { name: "Billing", redirectUris: ["https://billing.example/cb"], confidential: true },
    });
    expect(created.status).toBe(201);
    const { client: registered, clientSecret } = await json(created);
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = (await t.db.rows("oidc_clients")).find((r) => r.client_id === registered.clientId)!;
    expect(row.secret_hash).not.toContain(clientSecret);
    expect(JSON.stringify(await json(await admin.get(ROUTES.adminClients, { bearer: accessToken })))).not.toContain(clientSecret);

    for (const body of [
      { name: "x", redirectUris: ["http://evil.example/cb"] },
      { name: "x", redirectUris: ["https://ok.example/cb#frag"] },
      { name: "x", redirectUris: [] },
      { name: "x", redirectUris: ["https://ok.example/cb"], resources: ["https://unlisted.example"] },
    ]) {
      const refused = await admin.post(ROUTES.adminClients, { bearer: accessToken, body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
    expect(await t.db.rows("oidc_clients")).toHaveLength(1);

    // Removed: the provider knows it no more, at once.
    const config = await discover(t.origin, { client: registered, clientSecret });
    const removed = await admin.request("DELETE", routePath(ROUTES.adminClient, { id: registered.clientId }), { bearer: accessToken });
    expect(removed.status).toBe(204);
    expect(await json(await admin.get(ROUTES.adminClients, { bearer: accessToken }))).toEqual([]);
    const request = await authorizationRequest(config);
    const page = await new UserAgent(t.origin).authorize(request.url, { accessToken }).catch((e: unknown) => e);
    expect(page).toBeInstanceOf(ProviderPage);
    expect((page as ProviderPage).html).toContain("client is invalid");
  });
});

/** Introspection as a resource server does it: a confidential client of its own. */
async function introspect(token: string) {
  const resourceServer = await registerTestClient(t, { name: "Resource server", confidential: true });
  const config = await discover(t.origin, resourceServer);
  return client.tokenIntrospection(config, token);
}

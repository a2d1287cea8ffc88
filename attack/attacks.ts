// The scripted attacks: each one says what a correct instance answers and reports what this one
// did. They use only the public HTTP contract, so they run against any instance.
import { createPublicKey, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { OIDC_ROUTES, ROUTES, routePath } from "../shared/routes.ts";
import { REFRESH_GRACE_SECONDS } from "../shared/limits.ts";
import { SoftwareAuthenticator, type Forgery } from "../tools/authenticator.ts";
import { HttpClient, type Sent } from "../tools/http-client.ts";

/**
 * `pass` judges the security outcome, whatever the implementation calls its errors: refused with
 * the right status class, and no token or refresh cookie issued. `passStrict` (when the two
 * differ) also wants this platform's exact status and error code: what `--strict` checks.
 */
export type Verdict = { observed: string; pass: boolean; passStrict?: boolean };
export type Outcome = Verdict | { skipped: string };

export interface Attack {
  name: string;
  expected: string;
  /** Waits minutes at the instance's defaults, so it is skipped unless --wait is given. */
  waitsLong?: true;
  run(ctx: AttackContext): Promise<Outcome>;
}

export interface AttackContext {
  base: URL;
  /** Waits longer than 30 s (an expiry at the instance's defaults) are made only with --wait. */
  allowLongWaits: boolean;
  /** Lets `ms` pass on the instance's clock: a real sleep against a live instance; tests move their test clock. */
  wait(ms: number): Promise<void>;
}

/** Waits this long at most without --wait. */
const SHORT_WAIT_MS = 30_000;
const EVIL_ORIGIN = "https://evil.example";

// ---- accounts and ceremonies ---------------------------------------------------------------------

interface Account {
  client: HttpClient;
  authenticator: SoftwareAuthenticator;
  username: string;
  accessToken: string;
}

async function newAccount(ctx: AttackContext): Promise<Account> {
  const client = new HttpClient(ctx.base);
  const authenticator = new SoftwareAuthenticator({ origin: ctx.base.origin });
  const username = `attack-${randomBytes(6).toString("hex")}`;
  const options = await ok<PublicKeyCredentialCreationOptionsJSON>(client.post(ROUTES.registerOptions, { body: { username } }));
  const registered = await ok<{ accessToken: string }>(client.post(ROUTES.registerVerify, { body: await authenticator.register(options) }));
  return { client, authenticator, username, accessToken: registered.accessToken };
}

async function loginOptions(account: Account, username?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return ok(account.client.post(ROUTES.loginOptions, { body: username === undefined ? {} : { username } }));
}

/** A sign-in whose assertion carries `forgery`; returns the verify answer. */
async function signInWith(account: Account, forgery: Forgery = {}, options?: PublicKeyCredentialRequestOptionsJSON): Promise<Sent> {
  const request = options ?? (await loginOptions(account));
  return account.client.post(ROUTES.loginVerify, { body: await account.authenticator.authenticate(request, forgery) });
}

async function ok<T>(pending: Promise<Sent>): Promise<T> {
  const sent = await pending;
  if (sent.status !== 200) throw new Error(`setup step failed: ${describe(sent)}`);
  return sent.body as T;
}

// ---- judging answers ------------------------------------------------------------------------------

function describe(sent: Sent): string {
  const code = sent.body?.error?.code;
  return code ? `${sent.status} ${code}` : String(sent.status);
}

/** Passes when the answer is `status` with one of `codes` (any code when none are given). */
function refused(sent: Sent, status: number, ...codes: string[]): Verdict {
  const code = sent.body?.error?.code;
  const issued = typeof sent.body?.accessToken === "string" || sent.headers.getSetCookie().some((cookie) => /^__Host-refresh=[^;]/.test(cookie));
  const pass = Math.floor(sent.status / 100) === Math.floor(status / 100) && !issued;
  return { observed: describe(sent), pass, passStrict: pass && sent.status === status && (codes.length === 0 || codes.includes(code)) };
}

/** An OAuth error answer ({error, error_description}): refused with the status class, and no token in it. */
function oauthRefused(sent: Sent, status: number, error: string): Verdict {
  const issued = ["access_token", "id_token", "refresh_token", "active", "sub"].some((field) => sent.body?.[field] !== undefined);
  const pass = Math.floor(sent.status / 100) === Math.floor(status / 100) && !issued;
  return { observed: `${sent.status} ${sent.body?.error ?? ""}`.trim(), pass, passStrict: pass && sent.status === status && sent.body?.error === error };
}

/** A form POST, as OAuth clients send to the token, introspection and revocation endpoints. */
function postForm(ctx: AttackContext, path: string, body: URLSearchParams): Promise<Sent> {
  return new HttpClient(ctx.base).post(path, { rawBody: body.toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
}

/** That `client`'s session still refreshes (an attack on it changed nothing), as one labelled outcome. */
async function stillRefreshes(client: HttpClient, label = "after"): Promise<{ label: string; outcome: Verdict }> {
  const still = await client.post(ROUTES.refresh);
  return { label, outcome: { observed: describe(still), pass: still.status === 200 } };
}

function all(outcomes: { label: string; outcome: Verdict }[]): Verdict {
  const observed = outcomes.map(({ label, outcome }) => `${label}: ${outcome.observed}`).join("; ");
  return {
    observed,
    pass: outcomes.every(({ outcome }) => outcome.pass),
    passStrict: outcomes.every(({ outcome }) => outcome.passStrict ?? outcome.pass),
  };
}

async function waitUntil(ctx: AttackContext, ms: number, what: string): Promise<{ skipped: string } | undefined> {
  if (ms > SHORT_WAIT_MS && !ctx.allowLongWaits) return { skipped: `${what} is ${Math.round(ms / 1000)} s away; run with --wait` };
  await ctx.wait(Math.max(0, ms));
  return undefined;
}

// ---- the attacks -----------------------------------------------------------------------------------

const forgedAssertion = (name: string, expected: string, forgery: Forgery): Attack => ({
  name,
  expected,
  async run(ctx) {
    return refused(await signInWith(await newAccount(ctx), forgery), 400, "passkey_verification_failed");
  },
});

export const ATTACKS: Attack[] = [
  {
    name: "challenge replay",
    expected: "first 200, replay 400 challenge_not_found",
    async run(ctx) {
      const account = await newAccount(ctx);
      const assertion = await account.authenticator.authenticate(await loginOptions(account));
      const first = await account.client.post(ROUTES.loginVerify, { body: assertion });
      const replay = await account.client.post(ROUTES.loginVerify, { body: assertion });
      const outcome = refused(replay, 400, "challenge_not_found");
      return {
        observed: `${describe(first)}, then ${outcome.observed}`,
        pass: first.status === 200 && outcome.pass,
        passStrict: first.status === 200 && (outcome.passStrict ?? outcome.pass),
      };
    },
  },
  {
    name: "expired challenge",
    waitsLong: true,
    expected: "400 challenge_expired",
    async run(ctx) {
      const account = await newAccount(ctx);
      const options = await loginOptions(account);
      const skipped = await waitUntil(ctx, (options.timeout ?? 300_000) + 1_000, "the challenge's expiry");
      if (skipped) return skipped;
      // A later options call may have purged it already: not found is as good as expired.
      return refused(await signInWith(account, {}, options), 400, "challenge_expired", "challenge_not_found");
    },
  },
  {
    name: "challenge of the wrong purpose",
    expected: "400 challenge_purpose_mismatch",
    async run(ctx) {
      const account = await newAccount(ctx);
      const registration = await ok<PublicKeyCredentialCreationOptionsJSON>(
        account.client.post(ROUTES.registerOptions, { body: { username: `attack-${randomBytes(6).toString("hex")}` } }),
      );
      const options = await loginOptions(account);
      return refused(await signInWith(account, {}, { ...options, challenge: registration.challenge }), 400, "challenge_purpose_mismatch");
    },
  },
  forgedAssertion("wrong origin in clientData", "400 passkey_verification_failed", { origin: EVIL_ORIGIN }),
  forgedAssertion("wrong rpId hash in authenticatorData", "400 passkey_verification_failed", { rpId: "evil.example" }),
  forgedAssertion("cross-origin iframe (crossOrigin, topOrigin)", "400 passkey_verification_failed", { crossOrigin: true, topOrigin: EVIL_ORIGIN }),
  forgedAssertion("user presence (UP) missing", "400 passkey_verification_failed", { userPresent: false }),
  forgedAssertion("user verification (UV) missing", "400 passkey_verification_failed", { userVerified: false }),
  forgedAssertion("backed up (BS=1) without backup eligibility (BE=0)", "400 passkey_verification_failed", { backupEligible: false, backedUp: true }),
  forgedAssertion("backup eligibility (BE) changed since registration", "400 passkey_verification_failed", { backupEligible: true }),
  forgedAssertion("clientData type webauthn.create on a sign-in", "400 passkey_verification_failed", { type: "webauthn.create" }),
  {
    name: "signature counter regression",
    expected: "400 passkey_counter_regression",
    async run(ctx) {
      const account = await newAccount(ctx);
      for (let i = 0; i < 2; i++) await ok(signInWith(account)); // the stored counter is now 2
      return refused(await signInWith(account, { counter: 1 }), 400, "passkey_counter_regression");
    },
  },
  {
    name: "credential of another user",
    expected: "400 for another's user handle and for a passkey outside allowCredentials",
    async run(ctx) {
      const [alice, bob] = [await newAccount(ctx), await newAccount(ctx)];
      const bobHandle = [...bob.authenticator.credentials.values()][0]!.userHandle;
      const aliceCredential = [...alice.authenticator.credentials.keys()][0]!;
      const bobOptions = await loginOptions(alice, bob.username);
      return all([
        { label: "user handle", outcome: refused(await signInWith(alice, { userHandle: bobHandle }), 400) },
        { label: "not allowed", outcome: refused(await signInWith(alice, { credentialId: aliceCredential }, bobOptions), 400) },
      ]);
    },
  },
  {
    name: "refresh token reuse",
    expected: "401 refresh_token_reused, then the whole session is revoked",
    async run(ctx) {
      const { client } = await newAccount(ctx);
      const first = client.refreshCookie!;
      await ok(client.post(ROUTES.refresh));
      await ok(client.post(ROUTES.refresh)); // the first token's successor has been used
      const live = client.refreshCookie!;
      const reuse = await client.post(ROUTES.refresh, { refreshCookie: first });
      const after = await client.post(ROUTES.refresh, { refreshCookie: live });
      return all([
        { label: "reuse", outcome: refused(reuse, 401, "refresh_token_reused") },
        { label: "live token after", outcome: refused(after, 401) },
      ]);
    },
  },
  {
    name: "lost-response retry (same token again at once)",
    expected: "200 both times; the session stays live",
    async run(ctx) {
      const { client } = await newAccount(ctx);
      const token = client.refreshCookie!;
      const lost = await client.post(ROUTES.refresh, { refreshCookie: token });
      const retry = await client.post(ROUTES.refresh, { refreshCookie: token });
      const next = await client.post(ROUTES.refresh);
      const observed = `${describe(lost)}, retry ${describe(retry)}, next ${describe(next)}`;
      return { observed, pass: lost.status === 200 && retry.status === 200 && next.status === 200 };
    },
  },
  {
    name: "10 parallel refreshes of one token",
    expected: "no 5xx; the cookie that landed last still refreshes after the grace period (no forked or discarded session)",
    async run(ctx) {
      const { client } = await newAccount(ctx);
      const token = client.refreshCookie!;
      // One cookie jar racing itself: it keeps whichever Set-Cookie arrived last.
      let jar = token;
      const keep = (sent: Sent) => {
        const cookie = /__Host-refresh=([^;]+)/.exec(sent.headers.getSetCookie().join(";"))?.[1];
        if (sent.status === 200 && cookie) jar = cookie;
        return sent;
      };
      const batch = await Promise.all(Array.from({ length: 10 }, () => client.post(ROUTES.refresh, { refreshCookie: token }).then(keep)));
      const statuses = batch.map((sent) => sent.status);
      await ctx.wait((REFRESH_GRACE_SECONDS + 1) * 1000);
      const later = await client.post(ROUTES.refresh, { refreshCookie: jar });
      const observed = `${statuses.filter((s) => s === 200).length}×200 ${statuses.filter((s) => s >= 500).length}×5xx; last cookie later ${describe(later)}`;
      return { observed, pass: statuses.every((s) => s < 500) && later.status === 200 };
    },
  },
  {
    name: "access token asked for a service the operator never registered (RFC 8707)",
    expected: "400 invalid_target, no token, the session untouched",
    async run(ctx) {
      const { client } = await newAccount(ctx);
      const outcome = refused(await client.post(ROUTES.refresh, { body: { resource: EVIL_ORIGIN } }), 400, "invalid_target");
      return all([{ label: "resource", outcome }, await stillRefreshes(client)]);
    },
  },
  {
    name: "cross-site refresh and logout (CSRF)",
    expected: "403 csrf_rejected; the session still works",
    async run(ctx) {
      const { client } = await newAccount(ctx);
      const crossOrigin = { headers: { origin: EVIL_ORIGIN, "sec-fetch-site": "cross-site" } };
      const noOrigin = { headers: { origin: "", "sec-fetch-site": "cross-site" } };
      const outcomes = [
        { label: "refresh", outcome: refused(await client.post(ROUTES.refresh, crossOrigin), 403, "csrf_rejected") },
        { label: "refresh (Sec-Fetch-Site only)", outcome: refused(await client.post(ROUTES.refresh, noOrigin), 403, "csrf_rejected") },
        { label: "logout", outcome: refused(await client.post(ROUTES.logout, crossOrigin), 403, "csrf_rejected") },
      ];
      outcomes.push(await stillRefreshes(client));
      return all(outcomes);
    },
  },
  {
    name: "login CSRF: another site's form posts the attacker's own sign-in",
    expected: "refused (403 csrf_rejected, or 415); no cookie set",
    async run(ctx) {
      // The attacker signs a challenge with their own passkey, then has the victim's browser post
      // it from a self-submitting text/plain form on their site: a cookie set by the answer would
      // sign the victim into the attacker's account.
      const attacker = await newAccount(ctx);
      const assertion = await attacker.authenticator.authenticate(await loginOptions(attacker));
      const victim = new HttpClient(ctx.base);
      const sent = await victim.post(ROUTES.loginVerify, {
        rawBody: JSON.stringify(assertion),
        headers: { origin: EVIL_ORIGIN, "sec-fetch-site": "cross-site", "content-type": "text/plain" },
      });
      const cookieSet = sent.headers.getSetCookie().some((cookie) => cookie.startsWith("__Host-refresh=") && !/max-age=0/i.test(cookie));
      return { observed: `${describe(sent)}${cookieSet ? ", cookie set" : ""}`, pass: (sent.status === 403 || sent.status === 415) && !cookieSet };
    },
  },
  {
    name: "JSON body sent as text/plain",
    expected: "415 unsupported_media_type",
    async run(ctx) {
      const client = new HttpClient(ctx.base);
      return refused(await client.post(ROUTES.loginOptions, { rawBody: "{}", headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type");
    },
  },
  {
    name: "access token with alg none",
    expected: "401 token_invalid",
    async run(ctx) {
      const { client, accessToken } = await newAccount(ctx);
      const forged = `${b64json({ alg: "none", typ: "at+jwt" })}.${accessToken.split(".")[1]}.`;
      return refused(await client.get(ROUTES.me, { bearer: forged }), 401, "token_invalid");
    },
  },
  {
    name: "HS256 token signed with the public key (key confusion)",
    expected: "401 token_invalid",
    async run(ctx) {
      const { client, accessToken } = await newAccount(ctx);
      const jwks = await ok<{ keys: (JWK & { kid: string })[] }>(client.get(ROUTES.jwks));
      const jwk = jwks.keys[0]!;
      const pem = createPublicKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" }).export({ type: "spki", format: "pem" });
      const outcomes = [];
      for (const [label, secret] of [
        ["JWK as secret", JSON.stringify(jwk)],
        ["PEM as secret", String(pem)],
      ] as const) {
        const token = await new SignJWT(decodeJwt(accessToken))
          .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: jwk.kid })
          .sign(new TextEncoder().encode(secret));
        outcomes.push({ label, outcome: refused(await client.get(ROUTES.me, { bearer: token }), 401, "token_invalid") });
      }
      return all(outcomes);
    },
  },
  {
    name: "kid / jku / x5u / embedded jwk header tricks",
    expected: "401 token_invalid each; no outbound request",
    async run(ctx) {
      const { client, accessToken } = await newAccount(ctx);
      const realKid = decodeProtectedHeader(accessToken).kid!;
      const { privateKey, publicKey } = await generateKeyPair("ES256");
      const attackerJwk = { ...(await exportJWK(publicKey)), kid: "attacker", alg: "ES256", use: "sig" };
      // A key server the instance would have to call to be fooled; it counts every request.
      let fetched = 0;
      const keyServer = createServer((_request, response) => {
        fetched += 1;
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ keys: [attackerJwk] }));
      });
      await new Promise<void>((resolve) => keyServer.listen(0, "127.0.0.1", resolve));
      const keyUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/jwks.json`;
      try {
        const headers = {
          "our kid, attacker's key": { kid: realKid },
          "unknown kid + jku": { kid: "attacker", jku: keyUrl },
          x5u: { kid: "attacker", x5u: keyUrl },
          "embedded jwk": { jwk: attackerJwk },
          "kid path traversal": { kid: "../../../../dev/null" },
        };
        const outcomes = [];
        for (const [label, header] of Object.entries(headers)) {
          const token = await new SignJWT(decodeJwt(accessToken)).setProtectedHeader({ alg: "ES256", typ: "at+jwt", ...header }).sign(privateKey);
          outcomes.push({ label, outcome: refused(await client.get(ROUTES.me, { bearer: token }), 401, "token_invalid") });
        }
        outcomes.push({ label: "key server calls", outcome: { observed: String(fetched), pass: fetched === 0 } });
        return all(outcomes);
      } finally {
        keyServer.close();
      }
    },
  },
  {
    name: "claims changed under the original signature",
    expected: "401 token_invalid for each (role, sub, iss, aud, exp, typ)",
    async run(ctx) {
      const { client, accessToken } = await newAccount(ctx);
      const [header, payload, signature] = accessToken.split(".") as [string, string, string];
      const claims = decodeJwt(accessToken);
      const changes: Record<string, [object, object]> = {
        role: [{}, { role: "admin" }],
        sub: [{}, { sub: "00000000-0000-0000-0000-000000000000" }],
        iss: [{}, { iss: EVIL_ORIGIN }],
        aud: [{}, { aud: EVIL_ORIGIN }],
        exp: [{}, { exp: claims.exp! + 86_400 * 365 }],
        typ: [{ typ: "JWT" }, {}],
      };
      const outcomes = [];
      for (const [label, [headerChange, claimChange]] of Object.entries(changes)) {
        const token = `${b64json({ ...decodeProtectedHeader(accessToken), ...headerChange })}.${b64json({ ...claims, ...claimChange })}.${signature}`;
        outcomes.push({ label, outcome: refused(await client.get(ROUTES.me, { bearer: token }), 401, "token_invalid") });
      }
      const untouched = await client.get(ROUTES.me, { bearer: `${header}.${payload}.${signature}` });
      outcomes.push({ label: "untouched", outcome: { observed: describe(untouched), pass: untouched.status === 200 } });
      return all(outcomes);
    },
  },
  {
    name: "expired access token",
    waitsLong: true,
    expected: "401 token_expired",
    async run(ctx) {
      const { client, accessToken } = await newAccount(ctx);
      const skipped = await waitUntil(ctx, decodeJwt(accessToken).exp! * 1000 - Date.now() + 1_500, "the access token's expiry");
      if (skipped) return skipped;
      return refused(await client.get(ROUTES.me, { bearer: accessToken }), 401, "token_expired");
    },
  },
  {
    name: "missing or malformed bearer token",
    expected: "401 with WWW-Authenticate",
    async run(ctx) {
      const client = new HttpClient(ctx.base);
      const outcomes = [];
      for (const [label, headers] of [
        ["none", {}],
        ["not a JWT", { authorization: "Bearer not.a.jwt" }],
        ["Basic", { authorization: "Basic YTpi" }],
      ] as const) {
        const sent = await client.get(ROUTES.me, { headers });
        const challenge = sent.headers.get("www-authenticate") ?? "";
        outcomes.push({
          label,
          outcome: { observed: `${describe(sent)}${challenge ? "" : " (no WWW-Authenticate)"}`, pass: sent.status === 401 && challenge.startsWith("Bearer") },
        });
      }
      return all(outcomes);
    },
  },
  {
    name: "refresh token used as a bearer token, and the reverse",
    expected: "401 both ways",
    async run(ctx) {
      const { client, accessToken } = await newAccount(ctx);
      return all([
        { label: "as bearer", outcome: refused(await client.get(ROUTES.me, { bearer: client.refreshCookie! }), 401) },
        { label: "access token as cookie", outcome: refused(await client.post(ROUTES.refresh, { refreshCookie: accessToken }), 401) },
      ]);
    },
  },
  {
    name: "oversized body",
    expected: "413 body_too_large",
    async run(ctx) {
      const client = new HttpClient(ctx.base);
      return refused(await client.post(ROUTES.registerOptions, { rawBody: JSON.stringify({ username: "x".repeat(1_000_000) }) }), 413, "body_too_large");
    },
  },
  {
    name: "malformed bodies (JSON, base64url, CBOR)",
    expected: "400 each, never 5xx",
    async run(ctx) {
      const account = await newAccount(ctx);
      const { client } = account;
      const registration = await ok<PublicKeyCredentialCreationOptionsJSON>(
        client.post(ROUTES.registerOptions, { body: { username: `attack-${randomBytes(6).toString("hex")}` } }),
      );
      const good = await new SoftwareAuthenticator({ origin: ctx.base.origin }).register(registration);
      const badCbor = { ...good, response: { ...good.response, attestationObject: randomBytes(64).toString("base64url") } };
      const assertion = await account.authenticator.authenticate(await loginOptions(account));
      return all([
        { label: "JSON", outcome: refused(await client.post(ROUTES.loginOptions, { rawBody: '{"username": "a' }), 400, "invalid_request") },
        {
          label: "base64url",
          outcome: refused(await client.post(ROUTES.loginVerify, { body: { ...assertion, id: "not base64url!", rawId: "**" } }), 400, "invalid_request"),
        },
        { label: "CBOR", outcome: refused(await client.post(ROUTES.registerVerify, { body: badCbor }), 400) },
        { label: "wrong types", outcome: refused(await client.post(ROUTES.loginOptions, { body: { username: ["alice"] } }), 400, "invalid_request") },
      ]);
    },
  },
  {
    name: "username enumeration through login options",
    expected: "known and unknown names answer alike; the unknown one consistently",
    async run(ctx) {
      const account = await newAccount(ctx);
      const unknown = `attack-${randomBytes(6).toString("hex")}`;
      const known = await account.client.post(ROUTES.loginOptions, { body: { username: account.username } });
      const first = await account.client.post(ROUTES.loginOptions, { body: { username: unknown } });
      const again = await account.client.post(ROUTES.loginOptions, { body: { username: unknown } });
      const shape = (sent: Sent) =>
        JSON.stringify({
          status: sent.status,
          keys: Object.keys(sent.body ?? {}).sort(),
          credentialKeys: Object.keys(sent.body?.allowCredentials?.[0] ?? {}).sort(),
        });
      const ids = (sent: Sent) => JSON.stringify(sent.body?.allowCredentials?.map((c: { id: string }) => c.id));
      const alike = shape(known) === shape(first);
      const consistent = ids(first) === ids(again) && (first.body?.allowCredentials?.length ?? 0) > 0;
      return { observed: `${alike ? "same shape" : "different shape"}, ${consistent ? "stable decoys" : "no stable decoys"}`, pass: alike && consistent };
    },
  },
  {
    name: "rate limit per account (many requests naming one account)",
    expected: "429 rate_limited with Retry-After; other sign-ins unaffected",
    async run(ctx) {
      const account = await newAccount(ctx);
      // This tool's other requests count toward the per-IP limit too: a 429 that names it is waited
      // out, not taken for the account's.
      const limited = await floodUntilLimited(account.client, { username: account.username }, { max: 200, waitOut: "ip" });
      if (!limited) return { observed: "no 429 in 200 requests", pass: false };
      const other = await sendPast(account.client, {}, "ip");
      return {
        observed: `${describe(limited)} Retry-After ${limited.headers.get("retry-after")} (${limitName(limited)}); usernameless ${describe(other)}`,
        pass: hasRetryAfter(limited) && other.status === 200,
      };
    },
  },
  {
    name: "sensitive changes with a sign-in over 5 minutes old (a stolen token)",
    waitsLong: true,
    expected:
      "403 reauthentication_required for adding a passkey, signing out everywhere and ending another session; admin changes refused; the other session still live",
    async run(ctx) {
      const account = await newAccount(ctx);
      // The same person signed in on a second device: the session a thief would end.
      const device = new HttpClient(ctx.base);
      const otherToken = (
        await ok<{ accessToken: string }>(device.post(ROUTES.loginVerify, { body: await account.authenticator.authenticate(await loginOptions(account)) }))
      ).accessToken;
      const skipped = await waitUntil(ctx, 301_000, "a sign-in 5 minutes old");
      if (skipped) return skipped;
      // A refresh renews the token, never the proof of the person: the session's sign-in stays old.
      const { accessToken: bearer, user } = await ok<{ accessToken: string; user: { id: string } }>(account.client.post(ROUTES.refresh));
      const otherSession = decodeJwt(otherToken).sid as string;
      const outcomes = [
        { label: "add passkey", outcome: refused(await account.client.post(ROUTES.passkeyOptions, { bearer, body: {} }), 403, "reauthentication_required") },
        { label: "sign out everywhere", outcome: refused(await account.client.post(ROUTES.logoutAll, { bearer }), 403, "reauthentication_required") },
        {
          label: "end the other session",
          outcome: refused(await account.client.send("DELETE", routePath(ROUTES.session, { id: otherSession }), { bearer }), 403, "reauthentication_required"),
        },
        {
          label: "make self admin",
          outcome: refused(
            await account.client.send("PATCH", routePath(ROUTES.adminUser, { id: user.id }), { bearer, body: { role: "admin" } }),
            403,
            "forbidden",
            "reauthentication_required",
          ),
        },
      ];
      outcomes.push(await stillRefreshes(device, "other session"));
      return all(outcomes);
    },
  },
  {
    name: "recovery blocked by naming the person in sign-in attempts",
    expected: "sign-in options naming the account reach their limit (429), and the account's recovery is still answered (not 429)",
    async run(ctx) {
      const account = await newAccount(ctx);
      const limited = await floodUntilLimited(account.client, { username: account.username }, { max: 200, waitOut: "ip" });
      if (!limited) return { skipped: "the instance has no per-account limit on sign-in options" };
      let recovery: Sent;
      do {
        recovery = await account.client.post(ROUTES.recover, { body: { username: account.username, code: "AAAA-BBBB-CCCC-DDDD" }, acceptRateLimit: true });
        if (recovery.status === 429 && limitName(recovery) === "ip") await HttpClient.waitOut(recovery);
      } while (recovery.status === 429 && limitName(recovery) === "ip");
      const outcome = refused(recovery, 401, "recovery_failed");
      return {
        observed: `options ${describe(limited)} (${limitName(limited)}); recovery ${outcome.observed}`,
        pass: outcome.pass && recovery.status !== 429,
        passStrict: outcome.passStrict,
      };
    },
  },
  {
    name: "rate limit per client IP on /auth/*",
    expected: "429 rate_limited with Retry-After",
    async run(ctx) {
      const limited = await floodUntilLimited(new HttpClient(ctx.base), {}, { max: 5_000, waitOut: "account" });
      if (!limited) return { observed: "no 429 in 5000 requests", pass: false };
      return { observed: `${describe(limited)} Retry-After ${limited.headers.get("retry-after")}`, pass: hasRetryAfter(limited) };
    },
  },
  // ---- the OpenID Provider (OAuth 2.0): what anyone can try without a registered client ----
  {
    name: "authorization request sending the code to an attacker's redirect URI (unregistered client)",
    expected: "400 page, no redirect",
    async run(ctx) {
      const query = new URLSearchParams({
        client_id: `attack-${randomBytes(6).toString("hex")}`,
        redirect_uri: `${EVIL_ORIGIN}/callback`,
        response_type: "code",
        scope: "openid",
        state: "s",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "S256",
      });
      const sent = await new HttpClient(ctx.base).get(`${OIDC_ROUTES.authorization}?${query}`);
      const location = sent.headers.get("location");
      const pass = sent.status >= 400 && sent.status < 500 && location === null;
      return { observed: `${sent.status}${location ? ` → ${location}` : ""}`, pass, passStrict: pass && sent.status === 400 };
    },
  },
  {
    name: "made-up authorization code at the token endpoint",
    expected: "401 invalid_client, no tokens",
    async run(ctx) {
      const body = new URLSearchParams({
        grant_type: "authorization_code",
        code: randomBytes(32).toString("base64url"),
        redirect_uri: `${EVIL_ORIGIN}/callback`,
        client_id: `attack-${randomBytes(6).toString("hex")}`,
        code_verifier: randomBytes(32).toString("base64url"),
      });
      return oauthRefused(await postForm(ctx, OIDC_ROUTES.token, body), 401, "invalid_client");
    },
  },
  {
    name: "platform access token at the OpenID userinfo endpoint (audience confusion)",
    expected: "401 invalid_token",
    async run(ctx) {
      const { client, accessToken } = await newAccount(ctx);
      return oauthRefused(await client.get(OIDC_ROUTES.userinfo, { bearer: accessToken }), 401, "invalid_token");
    },
  },
  {
    name: "token introspection without client authentication",
    expected: "400 invalid_request, nothing about the token",
    async run(ctx) {
      const { accessToken } = await newAccount(ctx);
      return oauthRefused(await postForm(ctx, OIDC_ROUTES.introspection, new URLSearchParams({ token: accessToken })), 400, "invalid_request");
    },
  },
  {
    name: "downgrade to the implicit flow or plain PKCE",
    expected: "discovery offers only code with S256",
    async run(ctx) {
      const discovery = await ok<{ response_types_supported?: string[]; code_challenge_methods_supported?: string[] }>(
        new HttpClient(ctx.base).get(ROUTES.openidConfiguration),
      );
      const types = discovery.response_types_supported ?? [];
      const methods = discovery.code_challenge_methods_supported ?? [];
      return {
        observed: `response types ${types.join(", ")}; PKCE ${methods.join(", ")}`,
        pass: types.join() === "code" && methods.join() === "S256",
      };
    },
  },
];

/**
 * The limit a 429 names in its RateLimit field (draft-ietf-httpapi-ratelimit-headers): "ip" or
 * "account" on this platform; undefined when the instance does not say.
 */
const limitName = (sent: Sent): string | undefined => /^"([^"]+)"/.exec(sent.headers.get("ratelimit") ?? "")?.[1];

/** Login options until a 429 other than one naming the limit `waitOut`, which is waited out instead. */
async function floodUntilLimited(client: HttpClient, body: object, options: { max: number; waitOut: string }): Promise<Sent | undefined> {
  for (let i = 0; i < options.max; i++) {
    const sent = await sendPast(client, body, options.waitOut);
    if (sent.status === 429) return sent;
  }
  return undefined;
}

/** Login options, waiting out any 429 that names the limit `other`: it is not the one under test. */
async function sendPast(client: HttpClient, body: object, other: string): Promise<Sent> {
  for (;;) {
    const sent = await client.post(ROUTES.loginOptions, { body, acceptRateLimit: true });
    if (sent.status !== 429 || limitName(sent) !== other) return sent;
    await HttpClient.waitOut(sent);
  }
}

const hasRetryAfter = (sent: Sent) => sent.body?.error?.code === "rate_limited" && Number(sent.headers.get("retry-after")) > 0;

function b64json(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

// Property-based fuzzing of every route that reads a body or a query string (fast-check): for any
// input, never a 5xx, every error in the {error:{code,message}} shape, and a refused request
// leaves the database exactly as it was. Inputs reach past authentication (an admin with a fresh
// passkey verification sends them) so the validation behind it is what gets exercised.
import { createHash } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES, routePath } from "../../shared/routes.ts";
import { createTestApp, json, TEST_ORIGIN, type TestApp, type TestBrowser } from "../helpers/harness.ts";

const codes: string[] = [];
afterAll(() => {
  if (!process.env.FUZZ_STATS) return;
  const counts = new Map<string, number>();
  for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  console.log(
    [...counts]
      .sort()
      .map(([k, n]) => `${n}\t${k}`)
      .join("\n"),
  );
});
const RUNS = Number(process.env.FUZZ_RUNS ?? 100); // FUZZ_RUNS=2000 for a longer hunt

/** Routes that read neither a body nor a query: fuzzing their input exercises nothing. */
const NO_INPUT = new Set([
  `POST ${ROUTES.refresh}`,
  `POST ${ROUTES.logout}`,
  `POST ${ROUTES.logoutAll}`,
  `POST ${ROUTES.stepUpOptions}`,
  `POST ${ROUTES.passkeyOptions}`,
  `POST ${ROUTES.recoveryCodes}`,
  `DELETE ${ROUTES.passkey}`,
  `DELETE ${ROUTES.session}`,
  `GET ${ROUTES.metrics}`, // and answers in Prometheus text, not JSON
]);

let t: TestApp;
let admin: TestBrowser;
let token: string;
const ids: Record<string, string[]> = {};

beforeAll(async () => {
  t = await createTestApp({}, { admins: ["alice"] });
  admin = t.browser();
  token = (await admin.signUp("alice")).accessToken;
  await t.browser().signUp("bob");
  const idsOf = async (table: string) => (await t.db.rows(table)).map((row) => row.id as string);
  ids.id = [...(await idsOf("users")), ...(await idsOf("passkeys")), ...(await idsOf("sessions"))];
});
afterAll(() => t.close());

// ---- arbitraries -----------------------------------------------------------------------------

/**
 * Stands for a challenge made just before each request (of a random purpose), so verification
 * runs past the challenge lookup into origin, type, signature and policy checks.
 */
const LIVE_CHALLENGE = "__live_challenge__";
let liveChallenge = "";

/** clientDataJSON, encoded when the body is serialised, with the live challenge filled in. */
class ClientData {
  constructor(readonly fields: Record<string, unknown>) {}
  toJSON(): string {
    const fields = this.fields.challenge === LIVE_CHALLENGE ? { ...this.fields, challenge: liveChallenge } : this.fields;
    return Buffer.from(JSON.stringify(fields)).toString("base64url");
  }
}
const bytes = fc.uint8Array({ maxLength: 300 });
const b64 = bytes.map((b) => Buffer.from(b).toString("base64url"));
const clientData = fc
  .record(
    {
      type: fc.constantFrom("webauthn.get", "webauthn.create", "payment.get", ""),
      challenge: fc.oneof({ weight: 3, arbitrary: fc.constant(LIVE_CHALLENGE) }, { weight: 1, arbitrary: b64 }, { weight: 1, arbitrary: fc.string() }),
      origin: fc.constantFrom(TEST_ORIGIN, "https://evil.example", "null"),
      crossOrigin: fc.oneof(fc.boolean(), fc.jsonValue()),
      topOrigin: fc.constantFrom(TEST_ORIGIN, "https://evil.example"),
    },
    { requiredKeys: [] },
  )
  .map((fields) => new ClientData(fields));
/** rpIdHash (ours or not), flags, counter, and sometimes more: parses far enough to reach the flag and signature checks. */
const authenticatorData = fc
  .record({
    rpIdHash: fc.oneof(fc.constant(createHash("sha256").update("localhost").digest()), fc.uint8Array({ minLength: 32, maxLength: 32 })),
    flags: fc.integer({ min: 0, max: 255 }),
    counter: fc.nat(),
    tail: fc.uint8Array({ maxLength: 120 }),
  })
  .map(({ rpIdHash, flags, counter, tail }) => {
    const head = Buffer.alloc(5);
    head.writeUInt8(flags, 0);
    head.writeUInt32BE(counter, 1);
    return Buffer.concat([rpIdHash, head, tail]).toString("base64url");
  });
type CborMap = Extract<Parameters<typeof isoCBOR.encode>[0], Map<string | number, unknown>>;
const cbor = (value: fc.Arbitrary<CborMap>) => value.map((map) => Buffer.from(isoCBOR.encode(map)).toString("base64url"));
const attestationObject = cbor(
  fc
    .record({
      fmt: fc.constantFrom("none", "packed", "fido-u2f", "tpm", ""),
      authData: fc.oneof(
        bytes,
        authenticatorData.map((d) => Buffer.from(d, "base64url")),
      ),
      stmt: fc.dictionary(fc.string(), fc.integer()),
    })
    .map(
      ({ fmt, authData, stmt }) =>
        new Map<string, unknown>([
          ["fmt", fmt],
          ["attStmt", new Map(Object.entries(stmt))],
          ["authData", authData],
        ]) as CborMap,
    ),
);
const credentialResponse = fc.record(
  {
    clientDataJSON: fc.oneof({ weight: 4, arbitrary: clientData }, { weight: 1, arbitrary: b64 }),
    attestationObject: fc.oneof({ weight: 4, arbitrary: attestationObject }, { weight: 1, arbitrary: b64 }),
    authenticatorData: fc.oneof(authenticatorData, b64),
    signature: b64,
    userHandle: fc.option(b64, { nil: undefined }),
    transports: fc.option(fc.array(fc.constantFrom("internal", "usb", "hybrid")), { nil: undefined }),
  },
  { requiredKeys: ["clientDataJSON", "attestationObject", "authenticatorData", "signature"] },
);
/** Shaped like a RegistrationResponseJSON / AuthenticationResponseJSON, with random contents. */
const wellFormedCredential = fc
  .record({
    id: b64,
    type: fc.constant("public-key"),
    response: credentialResponse,
    authenticatorAttachment: fc.option(fc.constantFrom("platform", "cross-platform"), { nil: undefined }),
    clientExtensionResults: fc.constant({}),
  })
  .map((c) => ({ ...c, rawId: c.id }));
/** The same with one field swapped for anything at all. */
const mutatedCredential = fc
  .tuple(wellFormedCredential, fc.constantFrom("id", "rawId", "type", "response", "clientExtensionResults", "authenticatorAttachment"), fc.jsonValue())
  .map(([c, field, value]) => ({ ...c, [field]: value }));
const credential = fc.oneof({ weight: 4, arbitrary: wellFormedCredential }, { weight: 1, arbitrary: mutatedCredential });
const username = fc.oneof(fc.stringMatching(/^[a-z0-9._-]{3,20}$/), fc.string({ maxLength: 80 }), fc.constantFrom("alice", "bob", "ALICE "));
const recoveryToken = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.string({ maxLength: 50 }));

/** Per route, bodies shaped like what it takes, so inputs get past the schema and into the checks behind it. */
const SHAPED: Record<string, fc.Arbitrary<unknown>> = {
  [ROUTES.registerOptions]: fc.record({ username, displayName: fc.string({ maxLength: 80 }) }, { requiredKeys: ["username"] }),
  [ROUTES.loginOptions]: fc.record({ username }, { requiredKeys: [] }),
  [ROUTES.registerVerify]: credential,
  [ROUTES.loginVerify]: credential,
  [ROUTES.stepUpVerify]: credential,
  [ROUTES.passkeyVerify]: credential,
  [ROUTES.recover]: fc.record({ username, code: fc.oneof(fc.stringMatching(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/), fc.string({ maxLength: 70 })) }),
  [ROUTES.recoverOptions]: fc.record({ recoveryToken }),
  [ROUTES.recoverVerify]: fc.record({ recoveryToken, credential }),
  [ROUTES.passkey]: fc.record({ name: fc.string({ maxLength: 80 }) }),
  [ROUTES.adminUser]: fc.record({ role: fc.constantFrom("user", "admin", "root"), blocked: fc.oneof(fc.boolean(), fc.jsonValue()) }, { requiredKeys: [] }),
};

/** Objects with the field names our schemas use, in any combination. */
const fieldy = fc.dictionary(
  fc.constantFrom("username", "displayName", "name", "role", "blocked", "code", "recoveryToken", "credential", "id", "challenge"),
  fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue(), b64, credential, recoveryToken, fc.constantFrom("admin", "user", "alice", "bob", true, false, null)),
);
const bodyFor = (path: string) =>
  fc.oneof(
    { weight: 4, arbitrary: (SHAPED[path] ?? fieldy).map((value) => ({ json: value })) },
    { weight: 2, arbitrary: fieldy.map((value) => ({ json: value })) },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => ({ json: value })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ text })) }, // mostly not JSON at all
  );
const query = fc
  .dictionary(fc.constantFrom("q", "limit", "offset", "before", "userId", "type", "x"), fc.oneof(fc.string({ maxLength: 40 }), fc.integer().map(String)))
  .map((params) => new URLSearchParams(params).toString());
/** A path parameter: an id that exists (a user, passkey or session) or any string at all. */
const pathParam = fc.oneof(fc.constant("__known__"), fc.string({ minLength: 1, maxLength: 40 }));

// ---- live challenges and fixture upkeep ----------------------------------------------------------

const CHALLENGE_SOURCES = [ROUTES.loginOptions, ROUTES.registerOptions, ROUTES.stepUpOptions, ROUTES.passkeyOptions] as const;
let registrations = 0;

async function makeChallenge(source: (typeof CHALLENGE_SOURCES)[number]): Promise<string> {
  const body = source === ROUTES.registerOptions ? { username: `fuzz-${registrations++}` } : {};
  const response = await admin.post(source, { bearer: token, body });
  expect(response.status).toBe(200);
  return (await json(response)).challenge;
}

async function restoreAdmin(): Promise<void> {
  await t.db.execute("UPDATE users SET role = 'admin', blocked_at = NULL WHERE username = 'alice'");
}

// ---- the property ------------------------------------------------------------------------------

/**
 * Failed attempts after a verified signature are audited by design (a security team wants to see
 * them); everything else in the database must stay exactly as it was.
 */
const FAILURE_EVENTS = ["sign_in_failed", "passkey_verification_failed", "recovery_failed"];

/** Every row of every table, per table; audit rows of failed attempts left out. */
async function snapshot(): Promise<Record<string, string>> {
  const rows = async (name: string) => {
    const all = await t.db.rows(name, name === "audit_events" ? "id" : undefined);
    return name === "audit_events" ? all.filter((row) => !FAILURE_EVENTS.includes(row.type as string)) : all;
  };
  // Rows in a stable order whatever the engine returns them in.
  const sorted = (all: Record<string, unknown>[]) =>
    all
      .map((row) => [JSON.stringify(row), row] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => row);
  const snapshot: Record<string, string> = {};
  for (const name of await t.db.tables()) snapshot[name] = JSON.stringify(sorted(await rows(name))); // one connection: one query at a time
  return snapshot;
}

const changedTables = (before: Record<string, string>, after: Record<string, string>) => Object.keys(after).filter((table) => before[table] !== after[table]);

function apiRoutes(): { method: string; path: string }[] {
  const known = new Set<string>(Object.values(ROUTES));
  const seen = new Set<string>();
  return t.app.routes
    .filter((route) => route.method !== "ALL" && known.has(route.path))
    .filter((route) => !seen.has(`${route.method} ${route.path}`) && seen.add(`${route.method} ${route.path}`));
}

describe("fuzzing every route that takes input", () => {
  it("covers every route: each one is fuzzed or listed as taking no input", () => {
    const routes = apiRoutes().map((route) => `${route.method} ${route.path}`);
    const mounted = new Set(apiRoutes().map((route) => route.path));
    expect([...Object.values(ROUTES)].filter((path) => !mounted.has(path))).toEqual([]);
    for (const excluded of NO_INPUT) expect(routes).toContain(excluded);
  });

  it(
    "answers any input with a 2xx or a 4xx in the error shape, and a refused input changes nothing",
    async () => {
      const targets = apiRoutes().filter((route) => !NO_INPUT.has(`${route.method} ${route.path}`));
      expect(targets.length).toBeGreaterThanOrEqual(15);
      for (const route of targets) {
        const input = route.method === "GET" ? query.map((text) => ({ query: text })) : bodyFor(route.path);
        await fc.assert(
          fc.asyncProperty(input, pathParam, fc.nat(), fc.constantFrom(...CHALLENGE_SOURCES), async (payload, param, pick, source) => {
            await t.db.execute("DELETE FROM challenges"); // keeps every snapshot small
            liveChallenge = await makeChallenge(source);
            let path = routePath(route.path, { id: param === "__known__" ? ids.id![pick % ids.id!.length]! : param });
            let text: string | undefined;
            if ("query" in payload) path += `?${payload.query}`;
            else text = "text" in payload ? payload.text : JSON.stringify(payload.json);
            const label = `${route.method} ${path} ${text?.slice(0, 300) ?? ""}`;

            const before = await snapshot();
            const response = await admin.request(route.method, path, { bearer: token, body: text });
            const raw = await response.text();
            const answer = raw === "" ? undefined : JSON.parse(raw);
            if (process.env.FUZZ_STATS) codes.push(`${route.method} ${route.path} ${response.status} ${answer?.error?.code ?? ""}`);
            expect(response.status, label).toBeLessThan(500);
            if (response.status >= 400) {
              expect(answer, label).toEqual({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } });
              // A verify consumes the challenge it names whatever the outcome (single use): that one row may go.
              const after = await snapshot();
              const consumed = JSON.parse(before.challenges!).filter((row: { challenge: string }) => row.challenge !== liveChallenge);
              if (after.challenges !== before.challenges) expect(JSON.parse(after.challenges!), label).toEqual(consumed);
              expect(changedTables({ ...before, challenges: after.challenges! }, after), `${label}: refused, yet these tables changed`).toEqual([]);
            } else {
              await restoreAdmin(); // an accepted PATCH may have demoted alice (once bob was made admin)
            }
          }),
          { numRuns: RUNS },
        );
      }
      expect(t.unexpectedErrors).toEqual([]);
    },
    60_000 + RUNS * 1_000,
  );
});

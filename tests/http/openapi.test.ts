// /openapi.json: valid OpenAPI 3.1, one operation for every mounted route, and answers that
// match the documented schemas (checked on real responses of a full flow).
import { Validator } from "@seriousme/openapi-schema-validator";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OPERATIONS, type Operation } from "../../shared/api.ts";
import { ROUTES, routePath } from "../../shared/routes.ts";
import { grantAdmin } from "../helpers/admins.ts";
import { createTestApp, json, type TestApp } from "../helpers/harness.ts";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({}, { admins: ["root"] });
});
afterEach(() => t.close());

const operations = Object.entries(OPERATIONS) as [string, Operation][];

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const response = await t.browser().get(ROUTES.openapi);
    expect(response.status).toBe(200);
    const document = await json(response);
    expect(document.openapi).toBe("3.1.0");
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("documents every route the server mounts, with the method it answers, and nothing else", () => {
    const known = new Set<string>(Object.values(ROUTES));
    const mounted = new Set(t.app.routes.filter((r) => r.method !== "ALL" && known.has(r.path)).map((r) => `${r.method} ${r.path}`));
    const documented = new Set(operations.map(([, op]) => `${op.method.toUpperCase()} ${op.path}`));
    expect([...mounted].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !mounted.has(route))).toEqual([]);
  });

  it("marks exactly the operations that refuse a session without a recent passkey verification", async () => {
    const browser = t.browser();
    const { accessToken } = await browser.signUp("root");
    t.clock.advance(301); // the sign-in is no longer recent; the access token is still valid
    const enforced: string[] = [];
    for (const [id, op] of operations.filter(([, op]) => op.access === "bearer" || op.access === "admin")) {
      const path = routePath(op.path, { id: "00000000-0000-0000-0000-000000000000" });
      const response = await browser.request(op.method.toUpperCase(), path, { bearer: accessToken, body: op.method === "get" ? undefined : {} });
      if (response.status === 403 && (await json(response)).error.code === "reauthentication_required") enforced.push(id);
    }
    const documented = operations.filter(([, op]) => op.recentVerification).map(([id]) => id);
    expect(enforced.sort()).toEqual(documented.sort());
  });

  it("gives every operation that reads a body or query its schema, and every JSON answer a schema", async () => {
    const document = await json(await t.browser().get(ROUTES.openapi));
    for (const [id, op] of operations) {
      const described = document.paths[op.path.replace(/:(\w+)/g, "{$1}")][op.method];
      expect(described.operationId).toBe(id);
      if (op.body) expect(described.requestBody.content["application/json"].schema.type, id).toBe("object");
      if (op.query)
        expect(
          described.parameters.some((p: { in: string }) => p.in === "query"),
          id,
        ).toBe(true);
      if (op.success.status !== 204 && !op.success.contentType && id !== "openapi") expect(op.success.schema, id).toBeDefined();
    }
    // A body the schema refuses is refused by the route, with the schema's own message.
    const refused = await t.browser().post(ROUTES.registerOptions, { body: { username: "a" } });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.message).toMatch(/^username: must be at least 3 characters/);
  });

  it("describes what the server really answers: every success of a full flow matches its documented schema", async () => {
    const seen = new Map<string, number>();
    const check = async (id: keyof typeof OPERATIONS, response: Response) => {
      const op: Operation = OPERATIONS[id];
      expect(response.status, id).toBe(op.success.status);
      if (op.success.schema) {
        const result = v.safeParse(op.success.schema, await response.clone().json());
        expect(
          result.issues?.map((issue) => `${v.getDotPath(issue)}: ${issue.message}`),
          id,
        ).toBeUndefined();
      }
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return response;
    };
    const root = t.browser();
    const alice = t.browser();
    const registerOptions = await check("registerOptions", await root.post(ROUTES.registerOptions, { body: { username: "root" } }));
    const signUp = await json(
      await check("registerVerify", await root.post(ROUTES.registerVerify, { body: await root.authenticator.register(await json(registerOptions)) })),
    );
    const token = signUp.accessToken as string;
    await grantAdmin(t, "root");
    const { accessToken: aliceToken, user: aliceUser } = await alice.signUp("alice");
    const loginOptions = await check("loginOptions", await root.post(ROUTES.loginOptions, { body: {} }));
    await check("loginVerify", await root.post(ROUTES.loginVerify, { body: await root.authenticator.authenticate(await json(loginOptions)) }));
    await check("refresh", await root.refresh());
    for (const id of ["me", "myActivity", "sessions", "passkeys", "recoveryCodesLeft", "jwks", "health", "apps"] as const) {
      await check(id, await root.get(OPERATIONS[id].path, { bearer: token }));
    }
    await check("adminUsers", await root.get(`${ROUTES.adminUsers}?q=ali&limit=5`, { bearer: token }));
    await check("adminAudit", await root.get(`${ROUTES.adminAudit}?type=signed_in`, { bearer: token }));
    const app = { name: "App", redirectUris: ["https://app.example/cb"], confidential: true };
    await check("adminClientCreate", await root.post(ROUTES.adminClients, { bearer: token, body: app }));
    await check("adminClients", await root.get(ROUTES.adminClients, { bearer: token }));
    await check("adminUser", await root.request("PATCH", routePath(ROUTES.adminUser, { id: aliceUser.id }), { bearer: token, body: { role: "admin" } }));
    await check("newRecoveryCodes", await root.post(ROUTES.recoveryCodes, { bearer: token }));
    await check("stepUpOptions", await root.post(ROUTES.stepUpOptions, { bearer: token }));
    const addOptions = await check("passkeyOptions", await root.post(ROUTES.passkeyOptions, { bearer: token }));
    await check("passkeyVerify", await root.post(ROUTES.passkeyVerify, { bearer: token, body: await root.authenticator.register(await json(addOptions)) }));
    const grant = await json(
      await check(
        "recover",
        await alice.post(ROUTES.recover, {
          body: { username: "alice", code: (await json(await alice.post(ROUTES.recoveryCodes, { bearer: aliceToken }))).recoveryCodes[0] },
        }),
      ),
    );
    const recoveryOptions = await check("recoverOptions", await alice.post(ROUTES.recoverOptions, { body: { recoveryToken: grant.recoveryToken } }));
    const credential = await alice.authenticator.register(await json(recoveryOptions));
    await check("recoverVerify", await alice.post(ROUTES.recoverVerify, { body: { recoveryToken: grant.recoveryToken, credential } }));
    await check("metrics", await root.get(ROUTES.metrics));

    // The OpenID Provider answers over Node's HTTP only: tests/http/openid-provider.test.ts checks these against their schemas.
    const overHttpOnly = ["openidConfiguration", "interactionDetails", "interactionLogin", "interactionConsent", "interactionAbort"];
    const withSchema = operations.filter(([, op]) => op.success.schema).map(([id]) => id);
    expect(withSchema.filter((id) => !seen.has(id) && !overHttpOnly.includes(id))).toEqual([]);
  });
});

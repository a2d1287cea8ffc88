import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROUTES, routePath } from "../../shared/routes.ts";
import { createTestApp, json, type TestApp, type TestBrowser } from "../helpers/harness.ts";

let t: TestApp;
let root: TestBrowser;
let rootToken: string;
let rootId: string;
let alice: TestBrowser;
let aliceToken: string;
let aliceId: string;
beforeEach(async () => {
  t = await createTestApp({}, { admins: ["root"] });
  root = t.browser();
  ({
    accessToken: rootToken,
    user: { id: rootId },
  } = await root.signUp("root"));
  alice = t.browser();
  ({
    accessToken: aliceToken,
    user: { id: aliceId },
  } = await alice.signUp("alice"));
});
afterEach(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const patchUser = (browser: TestBrowser, token: string, id: string, body: unknown) =>
  browser.request("PATCH", routePath(ROUTES.adminUser, { id }), { bearer: token, body });
const auditTypes = async () => (await t.db.rows("audit_events", "id")).map((r) => r.type);
const roleOf = async (id: string) => (await t.store.users.findById(id))!.role;

describe("admin routes", () => {
  it.each([
    ["GET", ROUTES.adminUsers],
    ["PATCH", "/api/admin/users/some-id"],
    ["GET", ROUTES.adminAudit],
  ])("answer 403 forbidden to a non-admin on %s %s", async (method, path) => {
    const response = await alice.request(method, path, { bearer: aliceToken, body: method === "PATCH" ? { role: "admin" } : undefined });
    expect(response.status).toBe(403);
    expect((await json(response)).error.code).toBe("forbidden");
    expect(await roleOf(aliceId)).toBe("user");
  });

  it("answer 401 without a token", async () => {
    expect((await alice.get(ROUTES.adminUsers)).status).toBe(401);
  });

  it("lose a revoked session at once, though its access token has not expired", async () => {
    await root.post(ROUTES.logout);
    const response = await root.get(ROUTES.adminUsers, { bearer: rootToken });
    expect(response.status).toBe(401);
    expect((await json(response)).error.code).toBe("session_revoked");
  });
});

describe("GET /api/admin/users", () => {
  it("lists users by username with passkey and live session counts", async () => {
    await alice.signIn();
    const page = await json(await root.get(ROUTES.adminUsers, { bearer: rootToken }));
    expect(page).toMatchObject({ total: 2, limit: 50, offset: 0 });
    expect(page.users.map((u: { username: string }) => u.username)).toEqual(["alice", "root"]);
    expect(page.users[0]).toMatchObject({ role: "user", blocked: false, passkeyCount: 1, sessionCount: 2 });
  });

  it("searches by part of the username and pages", async () => {
    for (const name of ["alicia", "bob", "al_x"]) await t.browser().signUp(name);
    const search = await json(await root.get(`${ROUTES.adminUsers}?q=ali`, { bearer: rootToken }));
    expect(search.users.map((u: { username: string }) => u.username)).toEqual(["alice", "alicia"]);
    // LIKE wildcards in the search are literal characters.
    const underscore = await json(await root.get(`${ROUTES.adminUsers}?q=l_`, { bearer: rootToken }));
    expect(underscore.users.map((u: { username: string }) => u.username)).toEqual(["al_x"]);
    const page2 = await json(await root.get(`${ROUTES.adminUsers}?limit=2&offset=2`, { bearer: rootToken }));
    expect(page2).toMatchObject({ total: 5, limit: 2, offset: 2 });
    expect(page2.users.map((u: { username: string }) => u.username)).toEqual(["alicia", "bob"]);
  });

  it.each(["limit=0", "limit=1000", "offset=-1", "limit=abc", "unknown=1"])("refuses the query %s with 400", async (query) => {
    const response = await root.get(`${ROUTES.adminUsers}?${query}`, { bearer: rootToken });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("invalid_request");
  });
});

describe("PATCH /api/admin/users/:id", () => {
  it("promotes a user; their current token gets admin routes on the next request and role_changed is audited", async () => {
    const response = await patchUser(root, rootToken, aliceId, { role: "admin" });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ id: aliceId, role: "admin", blocked: false });
    expect((await alice.get(ROUTES.adminUsers, { bearer: aliceToken })).status).toBe(200);
    const [event] = await t.store.audit.list({ type: "role_changed", limit: 1 });
    expect(event!.userId).toBe(aliceId);
    expect(event!.detail).toEqual({ by: rootId, from: "user", to: "admin" });
  });

  it("demotes an admin, who loses admin routes at once", async () => {
    await patchUser(root, rootToken, aliceId, { role: "admin" });
    await patchUser(alice, aliceToken, rootId, { role: "user" });
    const response = await root.get(ROUTES.adminUsers, { bearer: rootToken });
    expect(response.status).toBe(403);
  });

  it("refuses to demote the last active admin with 409 last_admin", async () => {
    const response = await patchUser(root, rootToken, rootId, { role: "user" });
    expect(response.status).toBe(409);
    expect((await json(response)).error.code).toBe("last_admin");
    expect(await roleOf(rootId)).toBe("admin");
  });

  it("leaves one active admin when two admins demote each other at once", async () => {
    await patchUser(root, rootToken, aliceId, { role: "admin" });
    const answers = await Promise.all([patchUser(root, rootToken, aliceId, { role: "user" }), patchUser(alice, aliceToken, rootId, { role: "user" })]);
    // The other is refused: 409 last_admin, or 403 when its admin role was already gone.
    expect(answers.map((r) => r.status).sort()).toEqual([200, expect.toSatisfy((status: number) => status === 403 || status === 409)]);
    const { users } = await t.store.users.list({ search: "", limit: 10, offset: 0, now: t.clock.now().getTime() });
    expect(users.filter((u) => u.role === "admin" && u.blockedAt === null)).toHaveLength(1);
  });

  it("leaves one active admin when two admins block each other at once", async () => {
    await patchUser(root, rootToken, aliceId, { role: "admin" });
    const answers = await Promise.all([patchUser(root, rootToken, aliceId, { blocked: true }), patchUser(alice, aliceToken, rootId, { blocked: true })]);
    // The other is refused: 409 last_admin, or 403 when its admin role was already gone.
    expect(answers.map((r) => r.status).sort()).toEqual([200, expect.toSatisfy((status: number) => status === 403 || status === 409)]);
    const { users } = await t.store.users.list({ search: "", limit: 10, offset: 0, now: t.clock.now().getTime() });
    expect(users.filter((u) => u.role === "admin" && u.blockedAt === null)).toHaveLength(1);
  });

  it("requires a recent passkey verification to change a role or block someone, which a step-up gives", async () => {
    t.clock.advance(301); // the admin's sign-in is over five minutes old; the token still valid
    const refused = await patchUser(root, rootToken, aliceId, { role: "admin" });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.code).toBe("reauthentication_required");
    expect(await roleOf(aliceId)).toBe("user");
    expect((await patchUser(root, rootToken, aliceId, { blocked: true })).status).toBe(403);
    expect((await root.stepUp(rootToken)).status).toBe(204);
    expect((await patchUser(root, rootToken, aliceId, { role: "admin" })).status).toBe(200);
    expect(await roleOf(aliceId)).toBe("admin");
  });

  it("refuses to let an admin block themselves with 409 cannot_block_self", async () => {
    await patchUser(root, rootToken, aliceId, { role: "admin" });
    const response = await patchUser(root, rootToken, rootId, { blocked: true });
    expect(response.status).toBe(409);
    expect((await json(response)).error.code).toBe("cannot_block_self");
  });

  it("refuses to leave no active admin by blocking the only other one", async () => {
    await patchUser(root, rootToken, aliceId, { role: "admin" });
    expect((await patchUser(root, rootToken, aliceId, { blocked: true })).status).toBe(200);
    // root is now the only active admin: alice is blocked, so root cannot be demoted.
    const response = await patchUser(root, rootToken, rootId, { role: "user" });
    expect((await json(response)).error.code).toBe("last_admin");
  });

  it.each([
    ["an empty patch", {}],
    ["an unknown role", { role: "root" }],
    ["a non-boolean blocked", { blocked: "yes" }],
    ["an unknown field", { role: "admin", password: "x" }],
  ])("refuses %s with 400 and changes nothing", async (_name, body) => {
    const before = await t.db.rows("users", "id");
    const response = await patchUser(root, rootToken, aliceId, body);
    expect(response.status).toBe(400);
    expect(await t.db.rows("users", "id")).toEqual(before);
  });

  it("answers 404 for an unknown user", async () => {
    expect((await patchUser(root, rootToken, "nobody", { blocked: true })).status).toBe(404);
  });
});

describe("blocking an account", () => {
  beforeEach(async () => {
    expect((await patchUser(root, rootToken, aliceId, { blocked: true })).status).toBe(200);
  });

  it("ends every session at once: the access token loses the API and refresh fails", async () => {
    const me = await alice.get(ROUTES.me, { bearer: aliceToken });
    expect(me.status).toBe(403);
    expect((await json(me)).error.code).toBe("account_blocked");
    const refresh = await alice.refresh();
    expect(refresh.status).toBe(403);
    expect((await json(refresh)).error.code).toBe("account_blocked");
    const sessions = (await t.db.rows("sessions")).filter((row) => row.user_id === aliceId);
    expect(sessions.map((row) => row.revoked_reason)).toEqual(["account_blocked"]);
  });

  it("answers sign-in options for the blocked username like any other's, and refuses only once its passkey verified", async () => {
    const options = await alice.post(ROUTES.loginOptions, { body: { username: "alice" } });
    expect(options.status).toBe(200);
    const body = await json(options);
    expect(body.allowCredentials).toHaveLength(1);
    const response = await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(body) });
    expect(response.status).toBe(403);
    expect((await json(response)).error.code).toBe("account_blocked");
    expect(response.headers.getSetCookie().filter((cookie) => /^__Host-refresh=[^;]/.test(cookie))).toEqual([]);
  });

  it("refuses to finish a username-less sign-in", async () => {
    const options = await json(await alice.post(ROUTES.loginOptions, { body: {} }));
    const response = await alice.post(ROUTES.loginVerify, { body: await alice.authenticator.authenticate(options) });
    expect(response.status).toBe(403);
    expect((await json(response)).error.code).toBe("account_blocked");
  });

  it("lets the user sign in again once unblocked", async () => {
    expect(await json(await patchUser(root, rootToken, aliceId, { blocked: false }))).toMatchObject({ blocked: false });
    const { user } = await alice.signIn();
    expect(user.username).toBe("alice");
    expect(await auditTypes()).toEqual(expect.arrayContaining(["user_blocked", "user_unblocked"]));
  });
});

describe("GET /api/admin/audit", () => {
  it("lists events newest first, filtered by user and type, paged with before", async () => {
    await alice.refresh();
    await alice.refresh();
    const all = await json(await root.get(`${ROUTES.adminAudit}?userId=${aliceId}`, { bearer: rootToken }));
    expect(all.events.map((e: { type: string }) => e.type)).toEqual([
      "token_refreshed",
      "token_refreshed",
      "signed_in",
      "recovery_codes_issued",
      "user_registered",
    ]);
    expect(all.nextBefore).toBeNull();
    const first = await json(await root.get(`${ROUTES.adminAudit}?type=token_refreshed&limit=1`, { bearer: rootToken }));
    expect(first.events).toHaveLength(1);
    const second = await json(await root.get(`${ROUTES.adminAudit}?type=token_refreshed&limit=1&before=${first.nextBefore}`, { bearer: rootToken }));
    expect(second.events).toHaveLength(1);
    expect(second.events[0].id).toBeLessThan(first.events[0].id);
  });

  it("records time, user, session, ip and user agent, and never a token", async () => {
    await alice.post(ROUTES.refresh, { headers: { "user-agent": "TestAgent/1.0" } });
    const { events } = await json(await root.get(`${ROUTES.adminAudit}?type=token_refreshed`, { bearer: rootToken }));
    expect(events[0]).toMatchObject({
      userId: aliceId,
      username: "alice",
      sessionId: expect.any(String),
      userAgent: "TestAgent/1.0",
      createdAt: expect.any(String),
    });
    expect(events[0]).toHaveProperty("ip");
    const everything = JSON.stringify(await t.db.rows("audit_events"));
    expect(everything).not.toContain(alice.refreshCookie!);
    expect(everything).not.toContain(aliceToken);
    expect(everything).not.toContain(aliceToken.split(".")[2]);
  });
});

describe("audit trail", () => {
  it("writes an event for every security-relevant act", async () => {
    const limited = await createTestApp({ MAX_SESSIONS_PER_USER: "1" }, { admins: ["root"] });
    const admin = limited.browser();
    const adminToken = (await admin.signUp("root")).accessToken; // user_registered, signed_in
    const bob = limited.browser();
    const { user: bobUser } = await bob.signUp("bob");
    const stolen = bob.refreshCookie!;
    await bob.refresh(); // token_refreshed
    limited.clock.advance(60);
    const thief = limited.browser();
    thief.refreshCookie = stolen;
    await thief.refresh(); // refresh_token_reused
    await bob.signIn(); // signed_in
    await bob.signIn(); // session_evicted (limit 1)
    await bob.post(ROUTES.logout); // session_revoked
    const patch = (body: object) => admin.request("PATCH", routePath(ROUTES.adminUser, { id: bobUser.id }), { bearer: adminToken, body });
    await patch({ role: "admin" }); // role_changed
    await patch({ blocked: true }); // user_blocked, sessions_revoked_all
    const options = await json(await bob.post(ROUTES.loginOptions, { body: {} }));
    await bob.post(ROUTES.loginVerify, { body: await bob.authenticator.authenticate(options) }); // sign_in_failed (blocked, after the signature verified)
    await patch({ blocked: false }); // user_unblocked
    await admin.post(ROUTES.logoutAll, { bearer: adminToken }); // sessions_revoked_all
    const types = new Set((await limited.db.rows("audit_events")).map((r) => r.type as string));
    expect([...types].sort()).toEqual(
      [
        "recovery_codes_issued",
        "refresh_token_reused",
        "role_changed",
        "session_evicted",
        "session_revoked",
        "sessions_revoked_all",
        "sign_in_failed",
        "signed_in",
        "token_refreshed",
        "user_blocked",
        "user_registered",
        "user_unblocked",
      ].sort(),
    );
    const [failed] = await limited.store.audit.list({ type: "sign_in_failed", limit: 1 });
    expect(failed!.detail).toMatchObject({ reason: "account_blocked" });
    expect(limited.unexpectedErrors).toEqual([]);
    await limited.close();
  });
});

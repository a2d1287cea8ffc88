import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROUTES, routePath } from "../../shared/routes.ts";
import { createTestApp, json, type TestApp, type TestBrowser } from "../helpers/harness.ts";

let t: TestApp;
let phone: TestBrowser;
let laptop: TestBrowser;
let phoneToken: string;
let laptopToken: string;
beforeEach(async () => {
  t = await createTestApp();
  phone = t.browser();
  phoneToken = (await phone.signUp("alice")).accessToken;
  laptop = t.browser();
  phone.sharePasskeysWith(laptop);
  t.clock.advance(1);
  laptopToken = (await laptop.signIn()).accessToken;
});
afterEach(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const sessionIdOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).sid as string;

describe("GET /api/sessions", () => {
  it("lists the user's live sessions, newest first, marking the current one and the passkey that opened it", async () => {
    const sessions = await json(await phone.get(ROUTES.sessions, { bearer: phoneToken }));
    expect(sessions).toHaveLength(2);
    expect(sessions.map((s: { id: string }) => s.id)).toEqual([sessionIdOf(laptopToken), sessionIdOf(phoneToken)]);
    expect(sessions.map((s: { current: boolean }) => s.current)).toEqual([false, true]);
    expect(sessions[1]).toMatchObject({
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      expiresAt: expect.any(String),
      passkey: { id: expect.any(String), name: expect.any(String) },
    });
  });

  it("does not list ended sessions or another user's", async () => {
    await laptop.post(ROUTES.logout);
    const bob = t.browser();
    await bob.signUp("bob");
    const sessions = await json(await phone.get(ROUTES.sessions, { bearer: phoneToken }));
    expect(sessions.map((s: { id: string }) => s.id)).toEqual([sessionIdOf(phoneToken)]);
  });
});

describe("DELETE /api/sessions/:id", () => {
  it("revokes another of my sessions: its refresh fails and its access token loses the API at once", async () => {
    const response = await phone.request("DELETE", routePath(ROUTES.session, { id: sessionIdOf(laptopToken) }), { bearer: phoneToken });
    expect(response.status).toBe(204);
    const me = await laptop.get(ROUTES.me, { bearer: laptopToken });
    expect(me.status).toBe(401);
    expect((await json(me)).error.code).toBe("session_revoked");
    expect((await json(await laptop.refresh())).error.code).toBe("session_revoked");
    expect((await phone.get(ROUTES.me, { bearer: phoneToken })).status).toBe(200);
    const [event] = await t.store.audit.list({ type: "session_revoked", limit: 1 });
    expect(event!.detail).toEqual({ reason: "revoked_by_user" });
  });

  it("answers 404 for another user's session and leaves it alone", async () => {
    const bob = t.browser();
    const bobToken = (await bob.signUp("bob")).accessToken;
    const response = await phone.request("DELETE", routePath(ROUTES.session, { id: sessionIdOf(bobToken) }), { bearer: phoneToken });
    expect(response.status).toBe(404);
    expect((await json(response)).error.code).toBe("not_found");
    expect((await bob.get(ROUTES.me, { bearer: bobToken })).status).toBe(200);
  });

  it("answers 404 for an unknown session", async () => {
    const response = await phone.request("DELETE", routePath(ROUTES.session, { id: "no-such-session" }), { bearer: phoneToken });
    expect(response.status).toBe(404);
  });

  it("needs a recent passkey verification to end another session, as signing out everywhere does, but not to end this one", async () => {
    const tablet = t.browser();
    phone.sharePasskeysWith(tablet);
    const tabletToken = (await tablet.signIn()).accessToken;
    t.clock.advance(301); // every sign-in is now over five minutes old; the tokens still valid
    const other = routePath(ROUTES.session, { id: sessionIdOf(laptopToken) });
    const refused = await phone.request("DELETE", other, { bearer: phoneToken });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.code).toBe("reauthentication_required");
    expect((await laptop.get(ROUTES.me, { bearer: laptopToken })).status).toBe(200); // the laptop's session lives on
    // Ending this very session is signing out: no proof needed.
    expect((await tablet.request("DELETE", routePath(ROUTES.session, { id: sessionIdOf(tabletToken) }), { bearer: tabletToken })).status).toBe(204);
    expect((await phone.stepUp(phoneToken)).status).toBe(204);
    expect((await phone.request("DELETE", other, { bearer: phoneToken })).status).toBe(204);
  });

  it("can end the current session", async () => {
    await phone.request("DELETE", routePath(ROUTES.session, { id: sessionIdOf(phoneToken) }), { bearer: phoneToken });
    expect((await phone.get(ROUTES.me, { bearer: phoneToken })).status).toBe(401);
  });
});

describe("POST /auth/logout-all", () => {
  it("ends the other device's access at its next request, not at token expiry", async () => {
    expect((await phone.post(ROUTES.logoutAll, { bearer: phoneToken })).status).toBe(204);
    const me = await laptop.get(ROUTES.me, { bearer: laptopToken });
    expect(me.status).toBe(401);
    expect((await json(me)).error.code).toBe("session_revoked");
    expect((await json(await laptop.refresh())).error.code).toBe("session_revoked");
  });
});

describe("GET /api/me/activity", () => {
  it("shows my own security events, newest first, and explains why a session ended", async () => {
    await phone.request("DELETE", routePath(ROUTES.session, { id: sessionIdOf(laptopToken) }), { bearer: phoneToken });
    const bob = t.browser();
    await bob.signUp("bob");
    const events = await json(await phone.get(ROUTES.myActivity, { bearer: phoneToken }));
    expect(events.map((e: { type: string }) => e.type)).toEqual(["session_revoked", "signed_in", "signed_in", "recovery_codes_issued", "user_registered"]);
    expect(events[0]).toMatchObject({ sessionId: sessionIdOf(laptopToken), detail: { reason: "revoked_by_user" } });
    const userIds = new Set(events.map((e: { userId: string }) => e.userId));
    expect(userIds.size).toBe(1);
  });
});

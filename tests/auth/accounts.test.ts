// changeAccount, the domain's account administration, driven directly: the rules hold when
// changes race each other (two admin consoles, or two instances), not only one at a time.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { changeAccount } from "../../server/auth/accounts.ts";
import { createTestApp, type TestApp } from "../helpers/harness.ts";

const context = { ip: null, userAgent: null };
let t: TestApp;
let rootId: string;
let aliceId: string;
beforeEach(async () => {
  t = await createTestApp({}, { admins: ["root", "alice"] });
  rootId = (await t.browser().signUp("root")).user.id;
  aliceId = (await t.browser().signUp("alice")).user.id;
});
afterEach(() => t.close());

async function activeAdmins(): Promise<string[]> {
  const { users } = await t.store.users.list({ search: "", limit: 10, offset: 0, now: t.clock.now().getTime() });
  return users.filter((u) => u.role === "admin" && u.blockedAt === null).map((u) => u.username);
}

describe("changeAccount", () => {
  it("keeps one active admin when two admins demote each other at once", async () => {
    const results = await Promise.allSettled([
      changeAccount(t, { targetId: aliceId, role: "user", actorId: rootId, context }),
      changeAccount(t, { targetId: rootId, role: "user", actorId: aliceId, context }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "last_admin" } });
    expect(await activeAdmins()).toHaveLength(1);
  });

  it("keeps one active admin when two admins block each other at once", async () => {
    const results = await Promise.allSettled([
      changeAccount(t, { targetId: aliceId, blocked: true, actorId: rootId, context }),
      changeAccount(t, { targetId: rootId, blocked: true, actorId: aliceId, context }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(await activeAdmins()).toHaveLength(1);
  });

  it("ends a blocked user's sessions in the same step as the block", async () => {
    await changeAccount(t, { targetId: aliceId, blocked: true, actorId: rootId, context });
    expect(await t.store.sessions.listLiveForUser(aliceId, t.clock.now().getTime())).toEqual([]);
    const events = await t.store.audit.list({ userId: aliceId, limit: 10 });
    expect(events.map((e) => e.type).slice(0, 2)).toEqual(["sessions_revoked_all", "user_blocked"]);
  });
});

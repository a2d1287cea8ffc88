// The platform as people deploy it at scale: three instances on one PostgreSQL behind nginx running
// examples/nginx/passkey.conf, one origin, and a person in Chromium. Needs Debian's nginx, which
// `.ci/run` installs; a plain `npm test` on a machine without it skips this file and says so.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type OpenedStore, openStore } from "../../server/db/open-store.ts";
import { ROUTES } from "../../shared/routes.ts";
import { findNginx, type Nginx, startNginx } from "../../tools/nginx.ts";
import { createDatabase } from "../../tools/postgres-server.ts";
import { type ServerProcess, startServer } from "../../tools/server-process.ts";
import { type BrowserSession, launchChromium, pageWithAuthenticator } from "../helpers/chromium.ts";
import { accountLoaded, recordApiResponses, signUpInBrowser } from "../helpers/web-flows.ts";

const nginxMissing = findNginx() === null;
if (nginxMissing)
  console.warn("SKIPPED tests/scale/load-balancer.test.ts: nginx is not installed (bash .ci/run installs it; or apt-get install -y nginx-light).");

/** Just past the proactive refresh point of a default token (600 s, refreshed 60 s before its end). */
const PAST_REFRESH_POINT_MS = 541_000;

describe.skipIf(nginxMissing)("three instances behind nginx, in Chromium", () => {
  let nginx: Nginx;
  let instances: ServerProcess[] = [];
  let observer: OpenedStore;
  let browser: BrowserSession;

  beforeAll(async () => {
    const url = await createDatabase(inject("postgresAdminUrl"));
    nginx = await startNginx();
    const env = { DATABASE_URL: url, KEY_ENCRYPTION_SECRET: "load-balancer-test-secret-0123456789", ORIGIN: nginx.origin, TRUST_PROXY_HOPS: "1" };
    instances = await Promise.all([0, 1, 2].map(() => startServer(env)));
    await nginx.route(
      instances.map((instance) => new URL(instance.origin).host.replace("localhost", "127.0.0.1")),
      ROUTES.health,
    );
    observer = await openStore({ database: { engine: "postgres", url } });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await observer?.close();
    await nginx?.stop();
    await Promise.all(instances.map((instance) => instance.stop()));
  });

  it("signs up, keeps two tabs signed in through refresh cycles answered by different instances, and signs out everywhere", async () => {
    await browser.context.clock.install();
    const first = await pageWithAuthenticator(browser.context);
    await signUpInBrowser(first.page, nginx.origin, { username: "balanced" });
    const second = await browser.context.newPage();
    await second.goto(`${nginx.origin}/account`);
    await accountLoaded(second);
    const logs = [recordApiResponses(first.page), recordApiResponses(second)];

    for (let cycle = 0; cycle < 4; cycle++) {
      const refreshed = browser.context.waitForEvent("response", { predicate: (r) => new URL(r.url()).pathname === ROUTES.refresh });
      await first.page.clock.runFor(PAST_REFRESH_POINT_MS);
      expect((await refreshed).status()).toBe(200);
    }
    const all = logs.flat();
    expect(all.filter((r) => r.startsWith(`${ROUTES.refresh} 200`)).length).toBeGreaterThanOrEqual(4);
    expect(all.filter((r) => !r.endsWith(" 200"))).toEqual([]);
    // nginx spread the requests: more than one instance answered refreshes.
    const answering = instances.filter((instance) => instance.output().includes(`"route":"${ROUTES.refresh}"`));
    expect(answering.length).toBeGreaterThan(1);

    first.page.on("dialog", (dialog) => void dialog.accept());
    await first.setPresence(false);
    await first.page.click("#sign-out-everywhere");
    await first.page.waitForSelector("#sign-in");
    await second.waitForSelector("#sign-in");
    const user = await observer.store.users.findByUsername("balanced");
    expect(await observer.store.sessions.listLiveForUser(user!.id, Date.now())).toEqual([]);
    expect(await observer.store.audit.list({ userId: user!.id, type: "refresh_token_reused", limit: 10 })).toEqual([]);
  });

  it("logs and rate-limits by the browser's address (TRUST_PROXY_HOPS=1), never one a client wrote in X-Forwarded-For", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${nginx.origin}/signin`);
    const status = await page.evaluate(async () => (await fetch("/healthz", { headers: { "X-Forwarded-For": "203.0.113.9" } })).status);
    expect(status).toBe(200);
    const lines = instances.flatMap((instance) =>
      instance
        .output()
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { msg: string; route?: string; ip?: string }),
    );
    const requests = lines.filter((line) => line.msg === "request");
    expect(requests.length).toBeGreaterThan(0);
    expect(new Set(requests.map((line) => line.ip))).toEqual(new Set(["127.0.0.1"]));
  });
});

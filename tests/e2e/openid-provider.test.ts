// "Sign in with passkeys" from another app, end to end: the platform as `npm start` runs it,
// examples/oidc-app (built on openid-client) as the app, examples/resource-server as the service
// it calls, and Chromium doing the passkey ceremony at our sign-in page. openid-client does the
// discovery, authorize, callback, code exchange, ID token validation, userinfo, refresh,
// revocation and logout.
import { execFile } from "node:child_process";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOidcApp } from "../../examples/oidc-app/app.ts";
import { createResourceServer } from "../../examples/resource-server/app.ts";
import { startServer, type ServerProcess } from "../../tools/server-process.ts";
import { launchChromium, pageWithAuthenticator, type AuthenticatorPage, type BrowserSession } from "../helpers/chromium.ts";
import { grantAdminWithCli } from "../helpers/admins.ts";
import { accountLoaded, signUpInBrowser } from "../helpers/web-flows.ts";

const ROOT = join(import.meta.dirname, "../..");

let platform: ServerProcess;
let browser: BrowserSession;
let tab: AuthenticatorPage;
const servers: ServerType[] = [];
let appOrigin: string;
let resourceOrigin: string;

/** Listens on a free localhost port first (the origin must be known to register it); the app comes after. */
type Fetch = (request: Request, env: unknown) => Response | Promise<Response>;

async function listen(): Promise<{ origin: string; use(app: { fetch: Fetch }): void }> {
  let handler: Fetch = () => new Response("starting", { status: 503 });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: (request, env) => handler(request, env), hostname: "localhost", port: 0 }, () => resolve(s));
  });
  servers.push(server);
  return {
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    use: (app) => {
      handler = app.fetch;
    },
  };
}

/** `npm run clients -- add ...` against the platform's database, as its operator would run it. */
async function registerWithCli(args: string[]): Promise<{ clientId: string; clientSecret?: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/clients.ts", "add", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATABASE_URL: `file:${join(platform.dataDir, "auth.db")}`, RESOURCES: resourceOrigin },
  });
  const clientId = /client_id: (\S+)/.exec(stdout)![1]!;
  return { clientId, clientSecret: /client_secret: (\S+)/.exec(stdout)?.[1] };
}

beforeAll(async () => {
  const app = await listen();
  const resource = await listen();
  appOrigin = app.origin;
  resourceOrigin = resource.origin;
  platform = await startServer({ RESOURCES: resourceOrigin });
  resource.use(createResourceServer({ issuer: platform.origin, audience: resourceOrigin }));
  const registered = await registerWithCli([
    "--name",
    "Demo app",
    "--redirect-uri",
    `${appOrigin}/callback`,
    "--post-logout-redirect-uri",
    `${appOrigin}/`,
    "--resource",
    resourceOrigin,
    "--confidential",
  ]);
  app.use(createOidcApp({ issuer: platform.origin, ...registered, origin: appOrigin, resource: resourceOrigin }));
  browser = await launchChromium();
  tab = await pageWithAuthenticator(browser.context);
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await platform?.stop();
});

const claimsShown = async () => JSON.parse((await tab.page.textContent("#id-token-claims"))!) as Record<string, unknown>;

describe("an app signs its visitor in with a passkey through the platform", () => {
  // One visitor's story, in order: each step needs the one before it.
  it("signs in at our page, asks consent, shows validated claims, calls a service, refreshes, and signs out everywhere it should", async () => {
    const { page } = tab;
    await signUpInBrowser(page, platform.origin, { username: "walker", displayName: "Walker" });
    // Signed out of the platform, so the app's sign-in needs the passkey at our page.
    await tab.setPresence(false);
    await page.click("#sign-out");
    await page.waitForSelector("#sign-in");

    await page.goto(appOrigin);
    await page.click("a#sign-in");
    await page.waitForURL(/\/oidc\/interaction\//);
    // The page says "Sign in" until the interaction's details (the app's name) arrive.
    await expect.poll(() => page.textContent("#authorize-title"), { timeout: 10_000 }).toBe("Sign in to Demo app");
    await tab.setPresence(true);
    await page.evaluate(() => document.querySelector<HTMLButtonElement>("#sign-in")?.click());
    // A third-party app: the person is asked.
    await page.waitForSelector("#allow");
    expect(await page.locator("#consent-scopes li").count()).toBe(3); // openid, profile, api
    await page.click("#allow");

    await page.waitForURL(`${appOrigin}/`);
    const claims = await claimsShown();
    expect(claims.iss).toBe(platform.origin);
    expect(claims.amr).toEqual(["pop", "mfa"]);
    expect(typeof claims.auth_time).toBe("number");
    expect(JSON.parse((await page.textContent("#userinfo"))!)).toMatchObject({ preferred_username: "walker", name: "Walker" });

    // A token for the service alone (RFC 8707), accepted by it through the platform's JWKS.
    await page.click("#call");
    await page.waitForSelector("#called");
    const called = JSON.parse((await page.textContent("#called"))!);
    expect(called).toMatchObject({ status: 200 });
    expect(called.body.userId).toBe(claims.sub);

    await page.click("#refresh");
    await page.waitForSelector("#id-token-claims");

    // The platform's account page lists the app; it stays signed in there too (one session).
    await page.goto(`${platform.origin}/account`);
    await accountLoaded(page);
    expect(await page.locator("#apps li[data-client-id]").count()).toBe(1);

    // Signing out from the app (RP-initiated logout, confirmed on the platform's page).
    await tab.setPresence(false);
    await page.goto(`${appOrigin}/`);
    await page.click("#sign-out");
    await page.waitForURL(/\/oidc\/session\/end/);
    await page.click('button[name="logout"]');
    await page.waitForURL(`${appOrigin}/`);
    await page.waitForSelector("a#sign-in");
    // RP-initiated logout ended the platform session in this browser too.
    await page.goto(`${platform.origin}/account`);
    await page.waitForSelector("#sign-in");
  });

  it("comes straight back without a ceremony while the platform session is live", async () => {
    const { page } = tab;
    await tab.setPresence(true);
    await page.goto(`${platform.origin}/signin`);
    await page.waitForSelector("#profile-username"); // autofill signs back in
    await page.goto(appOrigin);
    await page.click("a#sign-in");
    // Consent was given before, in a session that has ended: the grant ended with it, so asked again.
    await page.waitForSelector("#allow");
    await page.click("#allow");
    await page.waitForURL(`${appOrigin}/`);
    await page.click("#revoke");
    await page.waitForSelector("a#sign-in");
    // Revoked (RFC 7009): the grant is gone from the account page.
    await page.goto(`${platform.origin}/account`);
    await accountLoaded(page);
    expect(await page.locator("#apps li[data-client-id]").count()).toBe(0);
  });

  it("lets a newcomer create an account from the app's sign-in and come back to the app", async () => {
    const newcomer = await launchChromium();
    try {
      const { page } = await pageWithAuthenticator(newcomer.context);
      await page.goto(appOrigin);
      await page.click("a#sign-in");
      await page.waitForURL(/\/oidc\/interaction\//);
      await page.click("#create-account");
      await page.fill("#new-username", "newcomer");
      await page.click("#sign-up");
      await page.waitForSelector("#recovery-codes");
      await page.click("#codes-saved");
      await page.waitForSelector("#allow"); // back at the app's request, signed in: consent
      await page.click("#allow");
      await page.waitForURL(`${appOrigin}/`);
      expect(JSON.parse((await page.textContent("#userinfo"))!)).toMatchObject({ preferred_username: "newcomer" });

      // Removing the app's access on the platform's account page ends it in the app at its next refresh.
      page.on("dialog", (dialog) => void dialog.accept());
      await page.goto(`${platform.origin}/account`);
      await accountLoaded(page);
      await page.click("#apps li[data-client-id] button");
      await page.waitForSelector("#apps li.muted"); // "No app signs you in…"
      await page.goto(appOrigin);
      await page.click("#refresh");
      await page.waitForSelector("#access-ended");
    } finally {
      await newcomer.close();
    }
  });

  it("lets an admin register an app in the console, showing its secret once", async () => {
    const { page } = tab; // walker, signed in by the test before
    await grantAdminWithCli(join(platform.dataDir, "auth.db"), "walker");
    await page.goto(`${platform.origin}/admin`);
    await page.waitForSelector("#admin-clients tr[data-client-id]"); // the demo app, registered with the CLI
    await page.fill("#client-name", "Console app");
    await page.fill("#client-redirect-uris", "https://console-app.example/callback");
    await page.check("#client-confidential");
    await page.click("#register-client button[type=submit]");
    const secret = (await page.textContent("#new-client-secret"))!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await page.waitForSelector("#admin-clients tr:nth-child(2)");
    expect(await page.locator("#admin-clients").textContent()).toContain("Console app");
    // Shown once: a reload lists the app, never its secret.
    await page.reload();
    await page.waitForSelector("#admin-clients tr:nth-child(2)");
    expect(await page.content()).not.toContain(secret);
  });
});

// The /docs API reference in Chromium: every documented operation listed, requests sent from the
// page (bearer routes with the signed-in session), and nothing the CSP has to block: each test has
// its own browser and fails on any error its page raised.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OPERATIONS } from "../../shared/api.ts";
import { launchChromium, pageWithAuthenticator, type AuthenticatorPage, type BrowserSession } from "../helpers/chromium.ts";
import { startServer, type ServerProcess } from "../../tools/server-process.ts";
import { goInApp, signUpInBrowser } from "../helpers/web-flows.ts";

let server: ServerProcess;
let browser: BrowserSession;
let tab: AuthenticatorPage;
let problems: string[];

beforeAll(async () => {
  server = await startServer();
});
beforeEach(async () => {
  problems = [];
  browser = await launchChromium();
  tab = await pageWithAuthenticator(browser.context);
  tab.page.on("pageerror", (error) => problems.push(error.message));
  tab.page.on("console", (message) => {
    // The 400 and 404 answers this test asks for are logged as failed loads: not problems.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) problems.push(message.text());
  });
});
afterEach(async () => {
  await browser.close();
  expect(problems).toEqual([]); // the CSP let everything the page needs through
});
afterAll(async () => {
  await server?.stop();
});

const operation = (id: string) => tab.page.locator(`[data-operation='${id}']`);

async function send(id: string, fill: Record<string, string> = {}) {
  await operation(id).locator("summary").first().click();
  for (const [name, value] of Object.entries(fill)) await operation(id).locator(`[name='${name}']`).fill(value);
  await operation(id).locator("button.try").click();
  await tab.page.waitForFunction((op) => !/Sending|^$/.test(document.querySelector(`[data-operation='${op}'] .answer`)?.textContent ?? ""), id);
  return (await operation(id).locator(".answer").textContent()) ?? "";
}

describe("the /docs API reference", () => {
  it("lists every documented operation to anyone, and sends a public request from the page", async () => {
    await tab.page.goto(`${server.origin}/docs`);
    await tab.page.waitForSelector("[data-operation]");
    expect(await tab.page.locator("[data-operation]").count()).toBe(Object.keys(OPERATIONS).length);
    const answer = await send("loginOptions", { body: "{}" });
    expect(answer).toMatch(/^200/);
    expect(answer).toContain('"challenge"');
    const refused = await send("registerOptions", { body: '{"username": "x"}' });
    expect(refused).toMatch(/^400/);
    expect(refused).toContain("invalid_request");
    // Bearer routes offer no form until someone signs in.
    expect(await operation("me").locator("button.try").count()).toBe(0);
  });

  it("sends bearer requests with the signed-in session, its token never shown", async () => {
    await signUpInBrowser(tab.page, server.origin, { username: "dev" });
    await tab.page.click("#docs-link");
    await tab.page.waitForSelector("[data-operation='me'] button.try", { state: "attached" });
    const me = await send("me");
    expect(me).toMatch(/^OK/);
    expect(me).toContain('"username": "dev"');
    const missing = await send("revokeSession", { id: "no-such-session" });
    expect(missing).toContain("404 not_found");
    expect(await tab.page.textContent("body")).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT on the page
    await goInApp(tab.page, "/account");
    await tab.page.waitForSelector("#profile-username");
  });
});

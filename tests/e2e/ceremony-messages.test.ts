// What a person reads when a passkey ceremony cannot run or does not finish.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchChromium, pageWithAuthenticator, type BrowserSession } from "../helpers/chromium.ts";
import { startServer, type ServerProcess } from "../../tools/server-process.ts";
import { signUpInBrowser } from "../helpers/web-flows.ts";

let server: ServerProcess;
let browser: BrowserSession;

beforeAll(async () => {
  server = await startServer();
});
// Each test has a browser profile of its own.
beforeEach(async () => {
  browser = await launchChromium();
});
afterEach(async () => {
  await browser.close();
});
afterAll(async () => {
  await server?.stop();
});

describe("ceremony messages in Chromium", () => {
  it("tells the person when the browser has no passkey support", async () => {
    const page = await browser.context.newPage();
    await page.addInitScript(() => {
      // A browser without WebAuthn.
      delete (window as { PublicKeyCredential?: unknown }).PublicKeyCredential;
    });
    await page.goto(`${server.origin}/signup`);
    await page.waitForSelector("#sign-up");
    expect(await page.isDisabled("#sign-up")).toBe(true);
    expect(await page.textContent(".status")).toContain("does not support passkeys");
    await page.goto(`${server.origin}/signin`);
    await page.waitForSelector("#sign-in");
    expect(await page.textContent(".status")).toContain("does not support passkeys");
    await page.close();
  });

  it("says nothing was created when the person does not complete the passkey prompt", async () => {
    const { page, cdp, authenticatorId } = await pageWithAuthenticator(browser.context);
    // The authenticator cannot verify the person (no fingerprint, PIN refused): the browser
    // reports NotAllowedError, as it does for a cancelled prompt.
    await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
    await page.goto(`${server.origin}/signup`);
    await page.fill("#new-username", "carol");
    await page.click("#sign-up");
    await page.waitForFunction(() => document.querySelector(".status")?.textContent !== "");
    expect(await page.textContent(".status")).toContain("cancelled or timed out; nothing was created");
    expect(page.url()).toBe(`${server.origin}/signup`);
    const taken = await page.evaluate(
      async () =>
        (await fetch("/auth/register/options", { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"carol"}' })).status,
    );
    expect(taken).toBe(200); // the username is still free
    await page.close();
  });

  it("shows the server's reason when the username is taken", async () => {
    const { page, setPresence } = await pageWithAuthenticator(browser.context);
    await signUpInBrowser(page, server.origin, { username: "dave" });
    await setPresence(false); // keeps the sign-in page's autofill from signing straight back in
    await page.click("#sign-out");
    await page.waitForSelector("#sign-in");
    await page.goto(`${server.origin}/signup`);
    await page.fill("#new-username", "Dave");
    await page.click("#sign-up");
    await page.waitForFunction(() => document.querySelector(".status")?.textContent !== "");
    expect(await page.textContent(".status")).toContain("username is taken");
    await page.close();
  });
});

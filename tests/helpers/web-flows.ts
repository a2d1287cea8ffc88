// What a person does in the web app, as browser-test steps.
import type { Page } from "playwright-core";

/** Sign-up from the sign-up page: name, passkey, recovery codes acknowledged, account page shown. Returns the codes. */
export async function signUpInBrowser(page: Page, origin: string, input: { username: string; displayName?: string }): Promise<string[]> {
  await page.goto(`${origin}/signup`);
  await page.fill("#new-username", input.username);
  if (input.displayName) await page.fill("#display-name", input.displayName);
  await page.click("#sign-up");
  await page.waitForSelector("#recovery-codes");
  const codes = await page.locator("#recovery-codes .code").allTextContents();
  await page.click("#codes-saved");
  await page.waitForSelector("#profile-username");
  return codes;
}

/** Re-renders a signed-in page in place: its next API requests, without a reload. */
export async function goInApp(page: Page, path: string): Promise<void> {
  await page.evaluate((to) => {
    history.pushState(null, "", to);
    dispatchEvent(new PopStateEvent("popstate"));
  }, path);
}

/** Records "<path> <status>" for every /auth/* and /api/* response the page receives. */
export function recordApiResponses(page: Page): string[] {
  const log: string[] = [];
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (path.startsWith("/auth/") || path.startsWith("/api/")) log.push(`${path} ${response.status()}`);
  });
  return log;
}

/**
 * Presses "Sign in with a passkey" with the authenticator's presence on. The sign-in page arms an
 * autofill request as soon as it shows; once presence is on, that request may answer before the
 * press lands and the page moves on by itself. The press is one synchronous DOM click, so it
 * either starts the button's ceremony or finds the page already signed in; never a click left
 * waiting for a button that is gone.
 */
export async function pressSignIn(tab: { page: Page; setPresence(enabled: boolean): Promise<void> }): Promise<void> {
  await tab.setPresence(true);
  await tab.page.evaluate(() => document.querySelector<HTMLButtonElement>("#sign-in")?.click());
  await tab.page.waitForSelector("#profile-username");
}

/** Waits until the account page has loaded every section (its API calls answered). */
export async function accountLoaded(page: Page): Promise<void> {
  await page.waitForSelector('[aria-labelledby="account-title"][aria-busy="false"]');
}

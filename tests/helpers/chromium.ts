// Real Chromium (see chromium-binary.ts for which one) through playwright-core, with the DevTools
// WebAuthn virtual authenticator: a platform authenticator with user verification and resident keys.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, type CDPSession, chromium, type Page } from "playwright-core";
import { inject } from "vitest";

export interface BrowserSession {
  context: BrowserContext;
  close(): Promise<void>;
}

export interface AuthenticatorPage {
  page: Page;
  cdp: CDPSession;
  /** The current virtual authenticator. */
  readonly authenticatorId: string;
  /** Off: ceremonies wait for a "touch" that never comes, like a person who has not chosen yet. */
  setPresence(enabled: boolean): Promise<void>;
  credentialCount(): Promise<number>;
  /** Swaps the authenticator for a new, empty one: the same browser on a new device. */
  replaceAuthenticator(): Promise<void>;
}

const AUTHENTICATOR_OPTIONS = {
  protocol: "ctap2",
  transport: "internal",
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
} as const;

export async function launchChromium(): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), "passkey-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: inject("chromiumPath"),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  // tsx-compiled functions passed to page.evaluate may reference esbuild's __name helper.
  await context.addInitScript("globalThis.__name = (f) => f");
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Puts `from`'s passkeys on `to`'s authenticator: the same person on a second device. */
export async function copyPasskeys(from: AuthenticatorPage, to: AuthenticatorPage): Promise<void> {
  const { credentials } = await from.cdp.send("WebAuthn.getCredentials", { authenticatorId: from.authenticatorId });
  for (const credential of credentials) {
    await to.cdp.send("WebAuthn.addCredential", { authenticatorId: to.authenticatorId, credential });
  }
}

export async function pageWithAuthenticator(context: BrowserContext): Promise<AuthenticatorPage> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const add = async () => (await cdp.send("WebAuthn.addVirtualAuthenticator", { options: AUTHENTICATOR_OPTIONS })).authenticatorId;
  let authenticatorId = await add();
  return {
    page,
    cdp,
    get authenticatorId() {
      return authenticatorId;
    },
    setPresence: async (enabled) => {
      await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled });
    },
    credentialCount: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials.length,
    replaceAuthenticator: async () => {
      await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
      authenticatorId = await add();
    },
  };
}

// The app shell: resumes the session, routes between pages, and shows why someone was signed out.
import "./style.css";
import { PAGES } from "../../shared/routes.ts";
import { createAuthClient, type SignedOutReason } from "./auth-client.ts";
import { h } from "./dom.ts";
import { accountPage } from "./pages/account.ts";
import { adminPage } from "./pages/admin.ts";
import { authorizePage } from "./pages/authorize.ts";
import { docsPage } from "./pages/docs.ts";
import { flowPage } from "./pages/flow.ts";
import { createFlowLog } from "./flow-log.ts";
import { stepUpWithPasskey } from "./passkeys.ts";
import { recoverPage } from "./pages/recover.ts";
import type { Page, PageContext } from "./pages/page.ts";
import { signInPage } from "./pages/sign-in.ts";
import { signUpPage } from "./pages/sign-up.ts";

const SIGNED_OUT_MESSAGES: Record<SignedOutReason, string> = {
  signed_out: "You are signed out.",
  signed_out_elsewhere: "You signed out in another tab.",
  expired: "Your session expired. Sign in again.",
  revoked: "Your session was ended (signed out everywhere, or revoked). Sign in again.",
  blocked: "This account is blocked. Contact the administrator.",
};

const root = document.getElementById("app")!;
let current: Page | null = null;
let notice: string | null = null;

const flow = createFlowLog();
const auth = createAuthClient({
  onSignedOut: (reason) => {
    notice = SIGNED_OUT_MESSAGES[reason];
    navigate(PAGES.signIn);
  },
  // Sensitive actions after an old sign-in: confirm with a passkey, then the action proceeds.
  reauthenticate: () => stepUpWithPasskey(auth).catch(() => false),
});
auth.observe((event) => flow.recordEvent(event));

function navigate(path: string) {
  if (location.pathname !== path) history.pushState(null, "", path);
  render();
}

const INTERACTION_PREFIX = PAGES.interaction.replace(":uid", "");

function render() {
  const signedIn = auth.state.user !== null;
  document.body.dataset.signedIn = String(signedIn);
  // An app's sign-in request (OpenID Provider): the same page signed in or not.
  if (location.pathname.startsWith(INTERACTION_PREFIX)) {
    current?.dispose?.();
    current = authorizePage({ auth, flow, navigate, notice: null });
    root.replaceChildren(current.element);
    return;
  }
  let path = location.pathname;
  // Pages that need a session send the person to sign in, and the reverse.
  if ((path === PAGES.account || path === PAGES.admin || path === PAGES.flow) && !signedIn) path = PAGES.signIn;
  if (path === PAGES.admin && auth.state.user?.role !== "admin") path = PAGES.account;
  if ((path === PAGES.signIn || path === PAGES.signUp || path === PAGES.recover || path === PAGES.home) && signedIn) path = PAGES.account;
  if (path === PAGES.home || !Object.values(PAGES).includes(path as (typeof PAGES)[keyof typeof PAGES])) path = PAGES.signIn;
  if (path !== location.pathname) history.replaceState(null, "", path);

  current?.dispose?.();
  const context: PageContext = { auth, flow, navigate, notice };
  notice = null;
  const pages: Record<string, (context: PageContext) => Page> = {
    [PAGES.account]: accountPage,
    [PAGES.admin]: adminPage,
    [PAGES.flow]: flowPage,
    [PAGES.signUp]: signUpPage,
    [PAGES.signIn]: signInPage,
    [PAGES.recover]: recoverPage,
    [PAGES.docs]: docsPage,
  };
  current = pages[path]!(context);
  root.replaceChildren(current.element);
  document.body.dataset.signedIn = String(signedIn);
}

document.addEventListener("click", (event) => {
  const link = (event.target as Element).closest("a[data-link]");
  if (!link) return;
  event.preventDefault();
  navigate(link.getAttribute("href")!);
});
window.addEventListener("popstate", render);

root.replaceChildren(h("p", { class: "muted" }, "Loading…"));
auth
  .start()
  .catch(() => null)
  .finally(render);

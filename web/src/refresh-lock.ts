// Cross-tab mutual exclusion for the token refresh. Web Locks where the browser has them; else a
// short lease in localStorage (it holds a tab id and an expiry, never a token). The lease is a
// best effort: two tabs can still race in a narrow window, which the server's rotation grace
// answers without revoking the session.

const LOCK_NAME = "auth-refresh";
const LEASE_KEY = "auth-refresh-lease";
const LEASE_MS = 10_000;
const POLL_MS = 50;

const tabId = Math.random().toString(36).slice(2);

export async function withRefreshLock<T>(work: () => Promise<T>): Promise<T> {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request(LOCK_NAME, work).then((result) => result);
  }
  if (typeof localStorage === "undefined") return work();
  await acquireLease();
  try {
    return await work();
  } finally {
    if (localStorage.getItem(LEASE_KEY)?.startsWith(`${tabId}:`)) localStorage.removeItem(LEASE_KEY);
  }
}

async function acquireLease(): Promise<void> {
  const deadline = Date.now() + LEASE_MS;
  for (;;) {
    const held = localStorage.getItem(LEASE_KEY);
    const heldUntil = held ? Number(held.split(":")[1]) : 0;
    if (heldUntil < Date.now() || Date.now() > deadline) {
      localStorage.setItem(LEASE_KEY, `${tabId}:${Date.now() + LEASE_MS}`);
      // Read back after a beat: if another tab wrote in between, the later writer wins.
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (localStorage.getItem(LEASE_KEY)?.startsWith(`${tabId}:`)) return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

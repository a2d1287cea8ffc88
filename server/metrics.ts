// Prometheus metrics (prom-client), one registry per app: HTTP traffic by route, the security
// events the audit log records, counted as they are written, and the refusals it does not record.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { UnattributedRefusal } from "./auth/deps.ts";
import type { AuditEventInput, Store } from "./db/store.ts";

/** How stale the live-session gauge may be. */
const ACTIVE_SESSIONS_RECOUNT_SECONDS = 60;

export interface Metrics {
  registry: Registry;
  observeRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
  /** Counts a security event; see withAuditMetrics. */
  countAuditEvent(event: AuditEventInput): void;
  /** Counts a refusal that no audit row records (see AuthDeps.countUnattributedRefusal). */
  countUnattributedRefusal(type: UnattributedRefusal, reason: string): void;
}

/**
 * The store, with every audit write also counted (audit.record, and the store methods that write
 * their event in their own transaction): the audit log is the one place security acts are
 * recorded, so the metrics cannot miss one that a domain function writes.
 */
export function withAuditMetrics(store: Store, metrics: Metrics): Store {
  return {
    ...store,
    sessions: {
      ...store.sessions,
      // Rotation and session creation write their audit events inside their own transaction.
      async create(session, token, options) {
        const created = await store.sessions.create(session, token, options);
        if (created.outcome === "created" && options.audit) {
          if (options.audit.signedIn) metrics.countAuditEvent(options.audit.signedIn);
          for (const id of created.evicted) metrics.countAuditEvent(options.audit.evicted(id));
        }
        return created;
      },
      async rotate(input) {
        const done = await store.sessions.rotate(input);
        if (done) metrics.countAuditEvent(input.audit);
        return done;
      },
    },
    audit: {
      ...store.audit,
      async record(event) {
        await store.audit.record(event);
        metrics.countAuditEvent(event);
      },
    },
  };
}

export function createMetrics(options: { store: Store; now: () => number; processMetrics?: boolean }): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time to answer, by method and route pattern.",
    labelNames: ["method", "route"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  // Counted at most once a minute whatever the scrape rate: a count is a scan of the sessions table.
  let sessionsCountedAt = Number.NEGATIVE_INFINITY;
  new Gauge({
    name: "auth_active_sessions",
    help: `Sessions that are neither revoked nor expired (recounted at most every ${ACTIVE_SESSIONS_RECOUNT_SECONDS} s).`,
    registers: [registry],
    async collect() {
      const now = options.now();
      if (now - sessionsCountedAt < ACTIVE_SESSIONS_RECOUNT_SECONDS * 1000) return;
      sessionsCountedAt = now;
      this.set(await options.store.sessions.countLive(now));
    },
  });
  const events = new Counter({
    name: "auth_security_events_total",
    help: "Security events written to the audit log, by type.",
    labelNames: ["type"] as const,
    registers: [registry],
  });
  const signIns = new Counter({
    name: "auth_sign_ins_total",
    help: "Sessions opened with a passkey, by ceremony (authentication, registration).",
    labelNames: ["ceremony"] as const,
    registers: [registry],
  });
  const signInFailures = new Counter({
    name: "auth_sign_in_failures_total",
    help: "Sign-ins refused, by reason (the error code): before the signature verified (metrics only) or after (also in the audit log).",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const recoveryFailures = new Counter({
    name: "auth_recovery_failures_total",
    help: "Recovery attempts refused (no code matched, so no account's log records them), by reason.",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const refreshes = new Counter({ name: "auth_refreshes_total", help: "Refresh-token rotations.", registers: [registry] });
  const reuse = new Counter({
    name: "auth_refresh_reuse_detected_total",
    help: "Rotated refresh tokens presented again: the session was revoked.",
    registers: [registry],
  });

  const children = new Map<string, { count: { inc(): void }; time: { observe(value: number): void } }>();
  const countAuditEvent = (event: AuditEventInput) => {
    events.inc({ type: event.type });
    const detail = event.detail ?? {};
    if (event.type === "signed_in") signIns.inc({ ceremony: String(detail.ceremony ?? "authentication") });
    if (event.type === "sign_in_failed") signInFailures.inc({ reason: String(detail.reason ?? "unknown") });
    if (event.type === "token_refreshed") refreshes.inc();
    if (event.type === "refresh_token_reused") reuse.inc();
  };
  return {
    registry,
    countAuditEvent,
    countUnattributedRefusal(type: UnattributedRefusal, reason: string) {
      (type === "sign_in_failed" ? signInFailures : recoveryFailures).inc({ reason });
    },
    observeRequest({ method, route, status }, seconds) {
      // Label sets are few (routes × methods × statuses): their children are looked up once.
      const key = `${method} ${route} ${status}`;
      let child = children.get(key);
      if (!child) {
        child = { count: requests.labels(method, route, String(status)), time: duration.labels(method, route) };
        children.set(key, child);
      }
      child.count.inc();
      child.time.observe(seconds);
    },
  };
}

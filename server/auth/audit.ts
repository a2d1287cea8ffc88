// Security events: one row per security-relevant act, never holding a token or secret.
import type { AuditEventType } from "../../shared/audit-events.ts";
import type { AuditEventInput } from "../db/store.ts";
import type { AuthDeps, RequestContext } from "./deps.ts";

export type { AuditEventType } from "../../shared/audit-events.ts";

type AuditEvent = { type: AuditEventType; userId?: string | null; sessionId?: string | null; detail?: Record<string, unknown> };

/** The row for `event`, stamped with who asked and when: for store methods that write it in their own transaction. */
export function auditEvent(deps: Pick<AuthDeps, "clock">, context: RequestContext, event: AuditEvent): AuditEventInput {
  return { ...event, ip: context.ip, userAgent: context.userAgent, createdAt: deps.clock.now().getTime() };
}

export async function recordAuditEvent(deps: Pick<AuthDeps, "store" | "clock">, context: RequestContext, event: AuditEvent): Promise<void> {
  await deps.store.audit.record(auditEvent(deps, context, event));
}

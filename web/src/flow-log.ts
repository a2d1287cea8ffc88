// Records each step of the last passkey ceremony (options, authenticator result, server answer)
// and this tab's token events, for the flow inspector. Bearer tokens are redacted first.
import type { AuthEvent } from "./auth-client.ts";

/** Token events kept for the inspector's history. */
const MAX_EVENTS = 100;

export interface FlowStep {
  at: number;
  title: string;
  data: unknown;
}

export interface FlowLog {
  readonly ceremony: string | null;
  readonly steps: readonly FlowStep[];
  /** This tab's refreshes, rotations and sign-outs, oldest first. */
  readonly events: readonly AuthEvent[];
  begin(ceremony: string): void;
  recordEvent(event: AuthEvent): void;
  step(title: string, data: unknown): void;
  subscribe(listener: () => void): () => void;
}

const REDACTED_KEYS = new Set(["accessToken"]);

/** A copy of `value` with token fields cut to a recognisable prefix. */
export function redactTokens(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactTokens);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      REDACTED_KEYS.has(key) && typeof field === "string" ? `${field.slice(0, 12)}… (redacted; decoded below)` : redactTokens(field),
    ]),
  );
}

/** clientDataJSON decoded, so the inspector shows the challenge and origin the browser signed. */
export function withDecodedClientData<T extends { response: { clientDataJSON: string } }>(credential: T): T & { clientData: unknown } {
  const base64 = credential.response.clientDataJSON.replace(/-/g, "+").replace(/_/g, "/");
  let clientData: unknown = null;
  try {
    clientData = JSON.parse(atob(base64));
  } catch {
    clientData = "(not decodable)";
  }
  return { ...credential, clientData };
}

export function createFlowLog(): FlowLog {
  let ceremony: string | null = null;
  let steps: FlowStep[] = [];
  let events: AuthEvent[] = [];
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  return {
    get ceremony() {
      return ceremony;
    },
    get steps() {
      return steps;
    },
    get events() {
      return events;
    },
    recordEvent(event) {
      events = [...events.slice(-(MAX_EVENTS - 1)), event];
      changed();
    },
    begin(name) {
      ceremony = name;
      steps = [];
      changed();
    },
    step(title, data) {
      steps = [...steps, { at: Date.now(), title, data: redactTokens(data) }];
      changed();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

// What every page gets from the app shell.
import type { AuthClient } from "../auth-client.ts";
import type { FlowLog } from "../flow-log.ts";

export interface PageContext {
  auth: AuthClient;
  /** The last ceremony and this tab's token events, for the flow inspector. */
  flow: FlowLog;
  navigate(path: string): void;
  /** A message carried over from the previous page (e.g. why the person was signed out). */
  notice: string | null;
}

export interface Page {
  element: HTMLElement;
  /** Called when the person leaves the page. */
  dispose?(): void;
}

// What every page gets from the app shell.
import type { AuthClient } from "../auth-client.ts";

export interface PageContext {
  auth: AuthClient;
  navigate(path: string): void;
  /** A message carried over from the previous page (e.g. why the person was signed out). */
  notice: string | null;
}

export interface Page {
  element: HTMLElement;
  /** Called when the person leaves the page. */
  dispose?(): void;
}

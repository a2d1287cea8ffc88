// oidc-provider writes its notices to the console ("oidc-provider WARNING: ..."), one as it is
// imported on Node 20 (it asks for 22). This server's output is JSON lines that operators and
// tests parse, so those notices are caught here and handed to the logger as warn entries
// (kept until a logger is attached). Imported before oidc-provider; anything else passes through.
import type { Logger } from "../logger.ts";

const PREFIX = "oidc-provider ";
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI colour codes it adds on a TTY
const ANSI = /\x1b\[[0-9;]*m/g;
const pending: string[] = [];
let sink: ((message: string) => void) | undefined;

for (const method of ["warn", "info"] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    const text = typeof args[0] === "string" ? args[0].replace(ANSI, "") : "";
    if (!text.startsWith(PREFIX)) return original(...args);
    if (sink) sink(text);
    else pending.push(text);
  };
}

/** Sends oidc-provider's notices (those so far, and later ones) to `log`. */
export function logProviderNotices(log: Logger): void {
  sink = (message) => log({ level: "warn", msg: message });
  for (const message of pending.splice(0)) sink(message);
}

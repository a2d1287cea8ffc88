// The one HTTP client of the tools that talk to an instance from outside (attack, token, bench,
// tests): a browser's headers (Origin, Sec-Fetch-Site), a jar for the refresh cookie, and
// patience with rate limits.
import { REFRESH_COOKIE_NAME } from "../shared/routes.ts";

export interface Sent {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected field by field
  body: any;
}

export interface SendOptions {
  body?: unknown;
  /** A body sent as is (malformed JSON, oversized payloads). */
  rawBody?: string;
  bearer?: string;
  headers?: Record<string, string>;
  /** Cookie value to send instead of the jar's. */
  refreshCookie?: string | null;
  /** Answer a 429 as it is, instead of waiting out Retry-After and trying again. */
  acceptRateLimit?: boolean;
}

/** Longest Retry-After we wait out before giving up on a request. */
const MAX_RATE_LIMIT_WAIT_SECONDS = 65;

export class HttpClient {
  refreshCookie: string | undefined;
  /** Seconds spent waiting out the instance's rate limits. */
  static waitedSeconds = 0;

  constructor(
    readonly base: URL,
    readonly origin = base.origin,
  ) {}

  /** Waits out a 429's Retry-After (at most MAX_RATE_LIMIT_WAIT_SECONDS), counting the time. */
  static async waitOut(answer: { headers: Headers }): Promise<void> {
    const seconds = Math.min(Number(answer.headers.get("retry-after")) || 1, MAX_RATE_LIMIT_WAIT_SECONDS);
    HttpClient.waitedSeconds += seconds;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }

  async send(method: string, path: string, options: SendOptions = {}): Promise<Sent> {
    for (;;) {
      const response = await fetchWithSocketRetry(new URL(path, this.base), {
        method,
        headers: this.headers(options),
        body: this.body(options),
        redirect: "manual",
      });
      const retryAfter = Number(response.headers.get("retry-after"));
      if (response.status === 429 && !options.acceptRateLimit && retryAfter > 0 && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS) {
        await response.arrayBuffer();
        await HttpClient.waitOut(response);
        continue;
      }
      if (options.refreshCookie === undefined) this.keepCookie(response);
      const text = await response.text();
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers, body };
    }
  }

  post(path: string, options: SendOptions = {}) {
    return this.send("POST", path, options);
  }

  get(path: string, options: SendOptions = {}) {
    return this.send("GET", path, options);
  }

  private headers(options: SendOptions): Record<string, string> {
    const headers: Record<string, string> = { origin: this.origin, "sec-fetch-site": "same-origin", ...options.headers };
    if (options.body !== undefined || options.rawBody !== undefined) headers["content-type"] ??= "application/json";
    const cookie = options.refreshCookie === undefined ? this.refreshCookie : options.refreshCookie;
    if (cookie) headers.cookie = `${REFRESH_COOKIE_NAME}=${cookie}`;
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    return headers;
  }

  private body(options: SendOptions): string | undefined {
    if (options.rawBody !== undefined) return options.rawBody;
    return options.body === undefined ? undefined : JSON.stringify(options.body);
  }

  private keepCookie(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const separator = pair!.indexOf("=");
      if (pair!.slice(0, separator) !== REFRESH_COOKIE_NAME) continue;
      const value = pair!.slice(separator + 1);
      this.refreshCookie = /max-age=0/i.test(header) || value === "" ? undefined : value;
    }
  }
}

/** fetch, sent again once when the server closed a kept-alive socket just as it was reused (no answer came). */
async function fetchWithSocketRetry(url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET") throw error;
    return fetch(url, init);
  }
}

// HTTP helpers shared by the route files: body parsing against shared schemas, the token
// response, the refresh cookie, and the API shapes of stored records.
import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import * as v from "valibot";
import { REFRESH_COOKIE_NAME, SESSION_HINT_COOKIE_NAME } from "../../shared/routes.ts";
import type { AuditEvent, PublicUser, TokenResponse } from "../../shared/schemas.ts";
import type { AuthDeps } from "../auth/deps.ts";
import type { IssuedSession } from "../auth/sessions.ts";
import type { AuditEventRecord, UserRecord } from "../db/store.ts";
import { AppError } from "../errors.ts";
import { declaredBodySize } from "../middleware/body-limit.ts";
import type { RateLimits } from "../middleware/rate-limit.ts";
import { appendHeader } from "../middleware/response-headers.ts";

/** What the ceremony routes need besides the domain: the rate limiters createApp built. */
export type RouteDeps = AuthDeps & { rateLimits: RateLimits };

/** Parses the JSON body (an empty body reads as {}) and validates it; 400 invalid_request otherwise. */
export async function readBody<TSchema extends v.GenericSchema>(c: Context, schema: TSchema): Promise<v.InferOutput<TSchema>> {
  // A call with no body (most refreshes) builds no fetch Request to learn so.
  const text = declaredBodySize(c) === 0 ? "" : await c.req.text();
  let json: unknown = {};
  if (text.trim() !== "") {
    // JSON only: a body in another type (a cross-site form's text/plain) is never read as JSON.
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType !== "application/json") throw new AppError("unsupported_media_type");
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppError("invalid_request", { message: "The body is not valid JSON." });
    }
  }
  return parseOrThrow(schema, json);
}

/** Validates the query string; 400 invalid_request otherwise. */
export function readQuery<TSchema extends v.GenericSchema>(c: Context, schema: TSchema): v.InferOutput<TSchema> {
  return parseOrThrow(schema, c.req.query());
}

function parseOrThrow<TSchema extends v.GenericSchema>(schema: TSchema, input: unknown): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, input);
  if (!result.success) {
    const issue = result.issues[0];
    const path = v.getDotPath(issue);
    throw new AppError("invalid_request", { message: path ? `${path}: ${issue.message}` : issue.message });
  }
  return result.output;
}

/** A stored audit event as the API answers it. */
export function toAuditEvent(event: AuditEventRecord): AuditEvent {
  return { ...event, createdAt: new Date(event.createdAt).toISOString() };
}

export function toPublicUser(user: Pick<UserRecord, "id" | "username" | "displayName" | "role" | "createdAt">): PublicUser {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

const REFRESH_COOKIE = { httpOnly: true, secure: true, sameSite: "Strict", path: "/" } as const;
const HINT_COOKIE = { httpOnly: false, secure: true, sameSite: "Strict", path: "/" } as const;

/** Answers a sign-in or refresh: a fresh access token in the body, the refresh token in the cookie. */
export async function respondWithSession(c: Context, deps: AuthDeps, session: IssuedSession, options: { extra?: Record<string, unknown> } = {}) {
  const accessToken = await session.accessToken;
  const maxAge = session.refreshTokenMaxAgeSeconds;
  setCookie(c, REFRESH_COOKIE_NAME, session.refreshToken, { ...REFRESH_COOKIE, maxAge });
  setCookie(c, SESSION_HINT_COOKIE_NAME, "1", { ...HINT_COOKIE, maxAge });
  const body: TokenResponse = {
    user: toPublicUser(session.user),
    accessToken,
    tokenType: "Bearer",
    expiresIn: deps.config.accessTokenTtlSeconds,
  };
  return c.json({ ...body, ...options.extra });
}

export function readRefreshCookie(c: Context): string | undefined {
  return getCookie(c, REFRESH_COOKIE_NAME) || undefined;
}

export function clearRefreshCookie(c: Context): void {
  setCookie(c, REFRESH_COOKIE_NAME, "", { ...REFRESH_COOKIE, maxAge: 0 });
  setCookie(c, SESSION_HINT_COOKIE_NAME, "", { ...HINT_COOKIE, maxAge: 0 });
}

/**
 * Hono's cookie serialisation (and its checks of name, value and attributes), with the header set
 * as presetHeaders sets the others: on Node's response, so that the answer keeps the adapter's
 * plain-object path (hono/cookie's setCookie gives every answer a fetch Headers object).
 */
function setCookie(c: Context, name: string, value: string, options: Parameters<typeof generateCookie>[2]): void {
  appendHeader(c, "Set-Cookie", generateCookie(name, value, options));
}

// The OpenAPI 3.1 document, built once from shared/api.ts: the same valibot schemas the routes
// validate with, converted to JSON Schema; statuses from the one error table.
import { inWords, RECENT_VERIFICATION_SECONDS } from "../shared/limits.ts";
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { OPERATIONS, type Operation } from "../shared/api.ts";
import { ERROR_CODES, type ErrorCode } from "../shared/error-codes.ts";
import { REFRESH_COOKIE_NAME } from "../shared/routes.ts";
import type { Config } from "./config.ts";
import { STATUS_BY_CODE } from "./errors.ts";

type JsonSchema = Record<string, unknown>;

const ACCESS_ERRORS: Record<Operation["access"], ErrorCode[]> = {
  none: [],
  cookie: ["csrf_rejected"],
  bearer: ["token_missing", "token_invalid", "token_expired", "session_revoked", "session_expired", "account_blocked"],
  admin: ["token_missing", "token_invalid", "token_expired", "session_revoked", "session_expired", "account_blocked", "forbidden"],
};

/** JSON Schema for `schema`; transformations (trim, lower-casing) are not expressible and are left out. */
function jsonSchema(schema: v.GenericSchema): JsonSchema {
  const { $schema: _draft, ...rest } = toJsonSchema(schema, { errorMode: "ignore" }) as JsonSchema;
  return rest;
}

export function buildOpenApiDocument(config: Pick<Config, "issuer" | "rpName">): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, operation] of Object.entries(OPERATIONS) as [string, Operation][]) {
    const path = operation.path.replace(/:(\w+)/g, "{$1}");
    paths[path] ??= {};
    paths[path][operation.method] = describeOperation(operationId, operation);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: `${config.rpName} API`,
      version: "1",
      description:
        "Passkey sign-in (WebAuthn) with short-lived JWT access tokens (RFC 9068, ES256) and rotated refresh tokens in an HttpOnly cookie. " +
        "Every error is {error: {code, message}}; clients branch on code.",
    },
    servers: [{ url: config.issuer }],
    tags: [...new Set(Object.values(OPERATIONS).map((operation) => operation.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An access token from a sign-in or refresh." },
        refreshCookie: {
          type: "apiKey",
          in: "cookie",
          name: REFRESH_COOKIE_NAME,
          description: "HttpOnly; set by sign-in, rotated by refresh. Sent only from our own origin.",
        },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: { code: { type: "string", enum: [...ERROR_CODES] }, message: { type: "string" } },
            },
          },
        },
      },
    },
  };
}

function describeOperation(operationId: string, operation: Operation): Record<string, unknown> {
  const errors = new Set<ErrorCode>([...ACCESS_ERRORS[operation.access], ...(operation.errors ?? [])]);
  if (operation.recentVerification) errors.add("reauthentication_required");
  if (operation.body) for (const code of ["invalid_request", "body_too_large", "unsupported_media_type"] as const) errors.add(code);
  if (operation.path.startsWith("/auth/") && operation.method !== "get") errors.add("csrf_rejected");
  if (operation.query) errors.add("invalid_request");
  if (operation.path.startsWith("/auth/")) errors.add("rate_limited");

  const responses: Record<string, unknown> = {
    [operation.success.status]: {
      description: operation.success.description,
      ...(operation.success.schema
        ? { content: { "application/json": { schema: jsonSchema(operation.success.schema) } } }
        : operation.success.contentType
          ? { content: { [operation.success.contentType]: { schema: { type: "string" } } } }
          : {}),
    },
  };
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errors) byStatus.set(STATUS_BY_CODE[code], [...(byStatus.get(STATUS_BY_CODE[code]) ?? []), code]);
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: codes.join(", "),
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      ...(status === 429
        ? {
            headers: {
              "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait." },
              RateLimit: {
                schema: { type: "string" },
                description: 'The limit that refused, "ip" or "account", and seconds until it resets: "account";r=0;t=42.',
              },
              "RateLimit-Policy": { schema: { type: "string" }, description: 'That limit\'s quota per window: "account";q=10;w=60.' },
            },
          }
        : {}),
    };
  }

  const parameters: unknown[] = [...operation.path.matchAll(/:(\w+)/g)].map(([, name]) => ({ name, in: "path", required: true, schema: { type: "string" } }));
  if (operation.query) {
    const schema = jsonSchema(operation.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      parameters.push({ name, in: "query", required: schema.required?.includes(name) ?? false, schema: property });
    }
  }

  const security =
    operation.access === "bearer" || operation.access === "admin" ? [{ bearer: [] }] : operation.access === "cookie" ? [{ refreshCookie: [] }] : [];
  const notes = [
    operation.description,
    operation.access === "admin" ? "Needs the admin role." : undefined,
    operation.recentVerification ? `Needs a passkey verification from the last ${inWords(RECENT_VERIFICATION_SECONDS)} (see /auth/step-up).` : undefined,
    operation.setsCookie ? `Sets or clears the ${REFRESH_COOKIE_NAME} cookie.` : undefined,
  ].filter(Boolean);
  return {
    operationId,
    tags: [operation.tag],
    summary: operation.summary,
    ...(notes.length > 0 ? { description: notes.join(" ") } : {}),
    security,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(operation.body) } } } } : {}),
    responses,
  };
}

// GET /openapi.json: the API as OpenAPI 3.1, built once from shared/api.ts.
import { Hono } from "hono";
import { ROUTES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";
import type { Config } from "../config.ts";
import { buildOpenApiDocument } from "../openapi.ts";

export function openApiRoutes(config: Config) {
  const document = buildOpenApiDocument(config);
  return new Hono<AppEnv>().get(ROUTES.openapi, (c) => c.json(document));
}

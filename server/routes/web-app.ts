// Serves the built web app (dist/web) from memory: hashed assets cached for good, pages as
// index.html so the single-page app handles its own paths.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { Hono, type Context } from "hono";
import { PAGES } from "../../shared/routes.ts";
import type { AppEnv } from "../app-env.ts";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  cacheControl: string;
}

function loadAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const urlPath = `/${relative(root, path).split("\\").join("/")}`;
        assets.set(urlPath, {
          body: new Uint8Array(readFileSync(path)),
          contentType: CONTENT_TYPES[extname(path)] ?? "application/octet-stream",
          // Vite puts content hashes in names under /assets/; everything else must revalidate.
          cacheControl: urlPath.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
        });
      }
    }
  };
  walk(root);
  return assets;
}

/** Routes for the web app; none when `root` was not built (API-only use and HTTP tests). */
export function webAppRoutes(root: string | undefined) {
  const app = new Hono<AppEnv>();
  if (root === undefined || !existsSync(join(root, "index.html"))) return app;
  const assets = loadAssets(root);
  const index = assets.get("/index.html")!;
  // c.body keeps the headers the middleware set (CSP and the rest).
  const serve = (c: Context, asset: Asset) => c.body(asset.body, 200, { "Content-Type": asset.contentType, "Cache-Control": asset.cacheControl });

  for (const page of Object.values(PAGES)) app.get(page, (c) => serve(c, index));
  app.get("*", async (c, next) => {
    const asset = assets.get(c.req.path);
    if (!asset) return next();
    return serve(c, asset);
  });
  return app;
}

// The real app served over HTTP from the test process, on a port it picks itself, with the test
// clock: browser tests that wait for tokens to expire move this clock and Playwright's page.clock
// together instead of waiting in real time.
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { WEB_ROOT } from "../../server/paths.ts";
import { createTestApp, type TestApp } from "./harness.ts";

export interface ClockedServer extends TestApp {
  origin: string;
  stop(): Promise<void>;
}

export async function startClockedServer(env: Record<string, string> = {}): Promise<ClockedServer> {
  // Listen first: the origin (and so the WebAuthn origin and issuer) names the port bound.
  let handle: (request: Request, env: unknown) => Response | Promise<Response> = () => new Response("starting", { status: 503 });
  const server = createAdaptorServer({ fetch: (request, env) => handle(request, env) });
  await new Promise<void>((resolve) => server.listen(0, "localhost", resolve));
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  const app = await createTestApp({ ORIGIN: origin, ...env }, { webRoot: WEB_ROOT, clockStart: new Date() });
  handle = (request, env) => app.app.fetch(request, env);
  return {
    ...app,
    origin,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeAllConnections" in server) server.closeAllConnections();
      });
      await app.close();
    },
  };
}

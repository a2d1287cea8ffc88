import autocannon from "autocannon";
import type { EventEmitter } from "node:events";
import { AttackClient } from "../attack/client.ts";
import { SoftwareAuthenticator } from "../tests/helpers/authenticator.ts";
const base = new URL("http://localhost:3998");
const cookies: string[] = [];
for (let i = 0; i < 50; i++) {
  const c = new AttackClient(base); const a = new SoftwareAuthenticator({ origin: base.origin });
  const o = await c.post("/auth/register/options", { body: { username: `r${Date.now()}-${i}` } });
  await c.post("/auth/register/verify", { body: await a.register(o.body) });
  cookies.push(c.refreshCookie!);
}
let next = 0;
const res = await autocannon({
  url: `${base.origin}/auth/refresh`, method: "POST", connections: 50, duration: 5,
  setupClient: (client) => {
    const send = (cookie: string) => client.setHeaders({ cookie: `__Host-refresh=${cookie}`, origin: base.origin });
    send(cookies[next++ % cookies.length]!);
    (client as unknown as EventEmitter).on("headers", (response: { headers: string[] }) => {
      for (let i = 0; i < response.headers.length; i += 2) {
        const value = response.headers[i + 1]!;
        if (response.headers[i]!.toLowerCase() === "set-cookie" && value.startsWith("__Host-refresh=")) send(value.slice(15).split(";")[0]!);
      }
    });
  },
});
console.log("refresh", res.requests.average, "p50", res.latency.p50, "p99", res.latency.p99, "non2xx", res.non2xx);

import autocannon from "autocannon";
import { AttackClient } from "../attack/client.ts";
import { SoftwareAuthenticator } from "../tests/helpers/authenticator.ts";
const base = new URL("http://localhost:3998");
const c = new AttackClient(base); const a = new SoftwareAuthenticator({ origin: base.origin });
const o = await c.post("/auth/register/options", { body: { username: `prof${Date.now()}` } });
const r = await c.post("/auth/register/verify", { body: await a.register(o.body) });
const res = await autocannon({ url: `${base.origin}/api/me`, connections: 50, duration: 5, headers: { authorization: `Bearer ${r.body.accessToken}` } });
console.log("api/me", res.requests.average, "p99", res.latency.p99);

// An open-loop refresh load: request k is due at t0 + k / rate whatever happened before it, and
// its latency counts from that due time, so a server that falls behind pays for its queue (no
// coordinated omission, unlike a closed loop that waits for each answer before sending the next).
// Each session has at most one refresh in flight (a second would present a rotated cookie); a due
// request waits for a free session, and that wait counts too.
import { Agent, request } from "node:http";

export interface OpenLoopResult {
  rate: number;
  sent: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export async function openLoopRefresh(options: { url: string; cookieName: string; cookies: string[]; rate: number; seconds: number }): Promise<OpenLoopResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.cookies.length });
  const cookies = [...options.cookies];
  const free = cookies.map((_, i) => i);
  const waiting: number[] = []; // due times of requests waiting for a free session
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const total = Math.floor(options.rate * options.seconds);
  let finished = 0;
  let done!: () => void;
  const allDone = new Promise<void>((resolve) => {
    done = resolve;
  });

  const send = (slot: number, due: number) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        agent,
        headers: { cookie: `${options.cookieName}=${cookies[slot]}`, "content-length": 0 },
      },
      (res) => {
        for (const header of res.headers["set-cookie"] ?? []) {
          if (header.startsWith(`${options.cookieName}=`)) cookies[slot] = header.slice(options.cookieName.length + 1).split(";")[0]!;
        }
        res.resume();
        res.on("end", () => finish(slot, due, res.statusCode === 200));
      },
    );
    req.on("error", () => {
      errors++;
      finish(slot, due, true);
    });
    req.end();
  };
  const finish = (slot: number, due: number, ok: boolean) => {
    latencies.push(performance.now() - due);
    if (!ok) non2xx++;
    const next = waiting.shift();
    if (next === undefined) free.push(slot);
    else send(slot, next);
    if (++finished === total) done();
  };

  const t0 = performance.now() + 50;
  let k = 0;
  const tick = () => {
    const now = performance.now();
    for (; k < total && t0 + (k * 1000) / options.rate <= now; k++) {
      const due = t0 + (k * 1000) / options.rate;
      const slot = free.pop();
      if (slot === undefined) waiting.push(due);
      else send(slot, due);
    }
    if (k < total) setTimeout(tick, Math.max(0, t0 + (k * 1000) / options.rate - performance.now()));
  };
  setTimeout(tick, 50);
  await allDone;
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return { rate: options.rate, sent: total, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted.at(-1) ?? 0, non2xx, errors };
}

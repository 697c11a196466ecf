/**
 * Times GET <url> (the gateway process's liveness probe: /healthz on its ops port, where orchestrators probe)
 * every 100 ms from a process of its own, so the chaos driver's busy event loop does not count against the
 * gateway, and, alternately, the same GET to a trivial HTTP server in this process: the control says how long any
 * answer takes on this machine at that moment (on a shared 2-core machine the scheduler, not the gateway, can
 * stall a probe). With a second URL (the API port's /healthz, behind the API port's connection bound and accept
 * queue) that one is timed too, as a figure: it may be refused (503) beyond CAREHUB_MAX_CONNECTIONS.
 * On SIGTERM prints {"count","p99Ms","maxMs","failures","controlP99Ms","controlMaxMs","apiP99Ms","apiMaxMs",
 * "apiRefused"} and exits.
 * Run: node test/chaos/healthz-probe.ts http://127.0.0.1:9464/healthz [http://127.0.0.1:8080/healthz]
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const url = process.argv[2];
const apiUrl = process.argv[3];
if (url === undefined) throw new Error("usage: healthz-probe.ts <url>");
const control = createServer((_, response) => response.writeHead(200).end('{"status":"ok"}'));
await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}/healthz`;

const times: number[] = [];
const controlTimes: number[] = [];
const apiTimes: number[] = [];
let apiRefused = 0;
let failures = 0;
let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
});

async function time(target: string): Promise<{ ms: number; ok: boolean }> {
  const asked = performance.now();
  try {
    const response = await fetch(target, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return { ms: performance.now() - asked, ok: response.status === 200 };
  } catch {
    return { ms: performance.now() - asked, ok: false };
  }
}

while (!stopping) {
  const probe = await time(url);
  times.push(probe.ms);
  if (!probe.ok) failures++;
  controlTimes.push((await time(controlUrl)).ms);
  if (apiUrl !== undefined) {
    const api = await time(apiUrl);
    apiTimes.push(api.ms);
    if (!api.ok) apiRefused++;
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
control.close();

const p99 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0);
};
const max = (values: number[]) => Math.round(Math.max(0, ...values));
console.log(
  JSON.stringify({
    count: times.length,
    p99Ms: p99(times),
    maxMs: max(times),
    failures,
    controlP99Ms: p99(controlTimes),
    controlMaxMs: max(controlTimes),
    apiP99Ms: p99(apiTimes),
    apiMaxMs: max(apiTimes),
    apiRefused,
  }),
);

/**
 * Times GET <url> (the gateway's /healthz) every 100 ms from a process of its own, so the chaos driver's busy
 * event loop does not count against the gateway, and, alternately, the same GET to a trivial HTTP server in this
 * process: the control says how long any answer takes on this machine at that moment (on a shared 2-core
 * machine the scheduler, not the gateway, can stall a probe). With a second URL (the gateway process's ops-port
 * /healthz: a plain node:http server on the same event loop, apart from the API port's connections) that one is
 * timed too, which tells a saturated event loop (both slow) from the API port's own queue (only it slow).
 * On SIGTERM prints {"count","p99Ms","maxMs","failures","controlP99Ms","controlMaxMs","opsP99Ms","opsMaxMs"}
 * and exits.
 * Run: node test/chaos/healthz-probe.ts http://127.0.0.1:8080/healthz [http://127.0.0.1:9464/healthz]
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const url = process.argv[2];
const opsUrl = process.argv[3];
if (url === undefined) throw new Error("usage: healthz-probe.ts <url>");
const control = createServer((_, response) => response.writeHead(200).end('{"status":"ok"}'));
await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}/healthz`;

const times: number[] = [];
const controlTimes: number[] = [];
const opsTimes: number[] = [];
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
  if (opsUrl !== undefined) opsTimes.push((await time(opsUrl)).ms);
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
    opsP99Ms: p99(opsTimes),
    opsMaxMs: max(opsTimes),
  }),
);

/**
 * pnpm bench:catchup [--messages N] [--copies C] — catching up after the receivers were offline (issue 15 item 4).
 *
 * On one pair of private servers, in one run:
 * 1. The bare three-hop ceiling (bench/e2e/bare.ts, the plain NATS client), the drain's yardstick.
 * 2. The hub, all in one process (or C copies of it), webhook delivery, the e2e bench's mixed traffic: the
 *    receivers answer 503 (offline) while N messages are sent as fast as the gateway takes them; the hub retries,
 *    the receivers' circuits open and the backlog builds; then the receivers come back. Timed: the receivers'
 *    return to the first delivery (the circuits' cool-down) and to the last; every delivery counted by message id,
 *    exit 1 on any loss or duplicate.
 *
 * Results: bench/results/catchup.{md,json} (catchup-<N>.* for another N than the default). The default N (2,000)
 * is a smoke of a few minutes; `--messages 1000000` is the issue's backlog (hours on a shared 2-core machine).
 * Every 30 s (BENCH_PROGRESS_MS) a progress line gives each stream's last sequence and each consumer's ack floor (intake on INGRESS, the
 * router on PIPELINE, the dispatchers on OUTBOX). SIGINT / SIGTERM stop the private servers (infra.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { runBare } from "./bare.ts";
import { type HubResult, runHub } from "./hub.ts";
import { consumerProgress, startInfra } from "./infra.ts";

const DEFAULT_MESSAGES = 2_000;
const PROGRESS_MS = Number(process.env.BENCH_PROGRESS_MS ?? 30_000);
const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const { values } = parseArgs({
  options: {
    messages: { type: "string", default: String(DEFAULT_MESSAGES) },
    copies: { type: "string", default: "1" },
  },
});
const messages = Number.parseInt(values.messages, 10);
const copies = Number.parseInt(values.copies, 10);
if (!Number.isInteger(messages) || messages < 1) throw new Error("--messages must be a positive whole number");
if (!Number.isInteger(copies) || copies < 1) throw new Error("--copies must be a positive whole number");

const run = `c${Date.now().toString(36)}`;
const command = `pnpm bench:catchup --messages ${messages}${copies > 1 ? ` --copies ${copies}` : ""}`;
const loadBefore = loadavg();
const started = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${line}`);
const infra = await startInfra();
// Every 30 s, where intake, the router and the dispatchers stand: a long run can be read while it runs.
const progress = await connect({ servers: infra.natsUrl, name: "bench-catchup-progress" });
const progressJsm = await jetstreamManager(progress);
const progressTimer = setInterval(() => {
  consumerProgress(progressJsm).then(
    (line) => log(`progress: ${line}`),
    (error: unknown) => log(`progress not read: ${String(error)}`),
  );
}, PROGRESS_MS);
let failure: string | undefined;
let bare: Awaited<ReturnType<typeof runBare>> | undefined;
let hub: HubResult | undefined;
try {
  await runBare(infra, { messages: 500, mix: "mixed", redisPerHop: false, tag: `${run}-warm` });
  bare = await runBare(infra, { messages: 5_000, mix: "mixed", redisPerHop: false, tag: `${run}-bare` });
  log(`bare three hops: ${bare.msgsPerSec} msg/s`);
  hub = await runHub(
    infra,
    { name: "catch-up, webhook", delivery: "webhook", messages, mix: "mixed", catchUp: true, copies },
    `${run}-hub`,
  );
  const c = hub.catchUp;
  log(
    `catch-up: ${messages} accepted in ${c?.acceptSeconds} s, receivers back → first delivery ${c?.firstDeliveryAfterSeconds} s, ` +
      `→ last ${c?.drainSeconds} s (${c?.drainPerSec} msg/s; ${c?.drainPerSecAfterFirst} after the first; steady ${c?.drainPerSecSteady}), none lost or duplicated`,
  );
} catch (error) {
  failure = error instanceof Error ? error.message : String(error);
  log(`FAILED: ${failure}`);
} finally {
  clearInterval(progressTimer);
  await progress.close();
  await infra.stop();
}
const loadAfter = loadavg();
const result = {
  date: new Date().toISOString(),
  command,
  node: process.version,
  cpus: cpus().length,
  loadAverage: { before: loadBefore, after: loadAfter },
  messages,
  copies,
  bare: bare ?? null,
  hub: hub ?? null,
  failure: failure ?? null,
};
const name =
  messages === DEFAULT_MESSAGES && copies === 1 ? "catchup" : `catchup-${messages}${copies > 1 ? `-x${copies}` : ""}`;
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(RESULTS, `${name}.md`), render());
log(`results: bench/results/${name}.md`);
process.exit(failure === undefined ? 0 : 1);

function render(): string {
  const load = (l: number[]) => l.map((n) => n.toFixed(1)).join(" / ");
  const lines = [
    `# Catch-up after the receivers were offline (${result.date})`,
    "",
    `Command: \`${command}\`. ${result.cpus} CPUs, Node ${result.node}, load average (1/5/15 min) ${load(loadBefore)} before, ${load(loadAfter)} after.`,
    "",
  ];
  if (failure !== undefined) lines.push(`**FAILED:** ${failure}`, "");
  const c = hub?.catchUp;
  if (bare !== undefined && hub !== undefined && c !== undefined) {
    const ratio = (n: number) => `${((n / bare.msgsPerSec) * 100).toFixed(0)} %`;
    const oneMillion = (rate: number) => `${((c.firstDeliveryAfterSeconds + 1_000_000 / rate) / 60).toFixed(0)} min`;
    lines.push(
      "| figure | value | ratio to the bare ceiling |",
      "| --- | ---: | ---: |",
      `| bare three hops (ceiling, same run) | ${bare.msgsPerSec} msg/s | 100 % |`,
      `| messages accepted while the receivers were offline | ${messages} in ${c.acceptSeconds} s (${hub.acceptedPerSec} msg/s) | – |`,
      `| delivered before the receivers came back | ${c.deliveredBeforeReturn} | – |`,
      `| receivers back → first delivery | ${c.firstDeliveryAfterSeconds} s | – |`,
      `| receivers back → last delivery | ${c.drainSeconds} s | – |`,
      `| drain rate, from the receivers' return | ${c.drainPerSec} msg/s | ${ratio(c.drainPerSec)} |`,
      `| drain rate, from the first delivery | ${c.drainPerSecAfterFirst} msg/s | ${ratio(c.drainPerSecAfterFirst)} |`,
      `| drain rate, steady (10th to 90th percentile of the deliveries) | ${c.drainPerSecSteady} msg/s | ${ratio(c.drainPerSecSteady)} |`,
      `| 1,000,000 messages: the first delivery's delay, then the steady rate (extrapolated, not run) | ${oneMillion(c.drainPerSecSteady)} | target ≤ 8 min |`,
      `| lost / duplicated (counted by message id) | ${hub.lost} / ${hub.duplicates} | – |`,
      "",
      `CPU per message (µs) over the whole run (sending and draining): ${Object.entries(hub.processes)
        .map(([p, f]) => `${p} ${f.cpuMicrosPerMsg}`)
        .join(", ")}. Peak RSS (MB): ${Object.entries(hub.processes)
        .map(([p, f]) => `${p} ${f.peakRssMB}`)
        .join(", ")}.`,
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}

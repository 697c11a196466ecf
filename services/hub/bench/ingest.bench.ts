// Ingest throughput: POST /v1/messages → 202 (gateway), and → envelope on PIPELINE (intake), on the NATS and
// Redis at NATS_URL / REDIS_URL (else private servers on free ports), in a throw-away namespace. Run: node services/hub/bench/ingest.bench.ts [messages] [concurrency]

import { cleanupNamespaceAt } from "@carehub/bus/testing";
import { createLogger } from "@carehub/observability";
import { parseHubConfig } from "@carehub/schemas";
import { provideTestServers, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { startHub } from "../src/start-hub.ts";
import { BENCH_REGISTRY, BENCH_TOKEN, freshHomecareBody } from "./ingest-fixture.ts";

const total = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 16);
const servers = await provideTestServers();
const namespace = testNamespace("bench");
const config = parseHubConfig(
  { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl() },
  { namespace, httpPort: 0, logLevel: "warn" },
);
const hub = await startHub({
  config,
  services: ["intake", "gateway"],
  logger: createLogger({ name: "bench", level: "warn" }),
  registry: BENCH_REGISTRY,
});
const bodies = Array.from({ length: total }, freshHomecareBody);
const latencies: number[] = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const body = bodies[next++] ?? "";
      const t0 = performance.now();
      const response = await fetch(`${hub.url}/v1/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/fhir+json" },
        body,
      });
      await response.arrayBuffer();
      if (response.status !== 202) throw new Error(`unexpected ${response.status}`);
      latencies.push(performance.now() - t0);
    }
  }),
);
const accepted = performance.now() - started;
const pipeline = hub.bus.topology.streams.pipeline;
while ((await hub.bus.jsm.streams.info(pipeline)).state.messages < total) await new Promise((r) => setTimeout(r, 20));
const processed = performance.now() - started;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1);
console.log(
  JSON.stringify({
    messages: total,
    concurrency,
    bytesPerMessage: Buffer.byteLength(bodies[0] ?? ""),
    acceptedPerSecond: Math.round(total / (accepted / 1000)),
    latencyMs: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
    onPipelinePerSecond: Math.round(total / (processed / 1000)),
    secondsUntilAllOnPipeline: (processed / 1000).toFixed(2),
  }),
);
await hub.stop();
await cleanupNamespaceAt(namespace);
await servers.stop();

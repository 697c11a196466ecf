// Ingest throughput: POST /v1/messages → 202 (gateway), and → envelope on PIPELINE (intake), on the NATS and
// Redis at NATS_URL / REDIS_URL (else private servers on free ports), in a throw-away namespace. Run: node services/hub/bench/ingest.bench.ts [messages] [concurrency]
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { connectBus } from "@carehub/bus";
import { createLogger } from "@carehub/observability";
import { hashToken } from "@carehub/registry";
import { parseHubConfig } from "@carehub/schemas";
import { cleanupNamespace, provideTestServers, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { Redis } from "ioredis";
import { startHub } from "../src/start-hub.ts";

const total = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 16);
const template = readFileSync(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
  "utf8",
);
const ORIGINAL_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
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
  registry: {
    hub: { id: "carehub", name: "bench hub", sor: "481521000016007", gln: "5790000199990" },
    endpoints: [
      {
        id: "acute-team",
        name: "acute team",
        kind: "municipality",
        identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
        sends: ["homecare-observation"],
        accepts: ["acknowledgement"],
        delivery: { mode: "nats" },
        auth: { tokenSha256: [hashToken("bench-token")] },
      },
    ],
  },
});
const bodies = Array.from({ length: total }, () => template.replaceAll(ORIGINAL_ID, randomUUID()));
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
        headers: { authorization: "Bearer bench-token", "content-type": "application/fhir+json" },
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
const bus = await connectBus({ servers: sharedNatsUrl(), name: "bench-cleanup", namespace });
const redis = new Redis(sharedRedisUrl());
await cleanupNamespace({ namespace, bus, redis });
await bus.drain();
redis.disconnect();
await servers.stop();

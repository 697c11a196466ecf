// What the gateway's INGRESS backlog bound (CAREHUB_MAX_INGRESS_BACKLOG, docs/decisions/0084) does to a backlog
// under sustained overload: senders POST as fast as they can (open loop: a refused sender sends its next message,
// it does not wait Retry-After) to a gateway that accepts faster than intake reads. Each round starts a fresh
// namespace with the gateway and intake in this process, offers load for a fixed time and samples the intake
// consumer's backlog every 100 ms; the rounds alternate the bound off (0) and on, so both see the same machine.
// Run: node services/hub/bench/backlog-bound.bench.ts [bound, default 2000] [seconds per round, default 15] [rounds per setting, default 2]
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { connectBus, INGRESS_CONSUMER } from "@carehub/bus";
import { createLogger } from "@carehub/observability";
import { hashToken } from "@carehub/registry";
import { parseHubConfig, type RegistryConfigInput } from "@carehub/schemas";
import { cleanupNamespace, provideTestServers, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { Redis } from "ioredis";
import { startHub } from "../src/start-hub.ts";

const bound = Number(process.argv[2] ?? 2000);
const seconds = Number(process.argv[3] ?? 15);
const rounds = Number(process.argv[4] ?? 2);
const CONCURRENCY = 32;
const template = readFileSync(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
  "utf8",
);
const ORIGINAL_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const registry: RegistryConfigInput = {
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
    {
      id: "practice",
      name: "practice",
      kind: "practice",
      identifiers: { sor: ["52581000016005"], gln: ["5790000127092"], ydernummer: "061654" },
      sends: ["acknowledgement"],
      accepts: ["homecare-observation"],
      delivery: { mode: "nats" },
      auth: { tokenSha256: [hashToken("practice-token")] },
    },
  ],
};

interface Round {
  bound: number;
  accepted: number;
  refused: number;
  other: number;
  peakBacklog: number;
  backlogAtEnd: number;
  acceptedPerSecond: number;
  load: number;
}

async function round(maxIngressBacklog: number): Promise<Round> {
  const namespace = testNamespace("bench-backlog");
  const logger = createLogger({ name: "bench", level: "error" });
  // The test profile: no shedding for event-loop lag (gateway and intake share this process's loop), so the
  // backlog bound is the only one that acts; it is set explicitly.
  const config = parseHubConfig(
    { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl() },
    { namespace, httpPort: 0, logLevel: "error", profile: "test", maxIngressBacklog },
  );
  const hub = await startHub({ config, services: ["intake", "gateway"], logger, registry, tracing: false });
  const stream = hub.bus.topology.streams.ingress;
  let peakBacklog = 0;
  let backlog = 0;
  const sampler = setInterval(() => {
    hub.bus.jsm.consumers.info(stream, INGRESS_CONSUMER).then(
      (info) => {
        backlog = info.num_pending + info.num_ack_pending;
        peakBacklog = Math.max(peakBacklog, backlog);
      },
      () => {},
    );
  }, 100);
  const counts = { accepted: 0, refused: 0, other: 0 };
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const response = await fetch(`${hub.url}/v1/messages`, {
          method: "POST",
          headers: { authorization: "Bearer bench-token", "content-type": "application/fhir+json" },
          body: template.replaceAll(ORIGINAL_ID, randomUUID()),
        });
        await response.arrayBuffer();
        if (response.status === 202) counts.accepted++;
        else if (response.status === 503) counts.refused++;
        else counts.other++;
      }
    }),
  );
  const backlogAtEnd = backlog;
  clearInterval(sampler);
  const load = loadavg()[0] ?? 0;
  await hub.stop();
  const bus = await connectBus({ servers: sharedNatsUrl(), name: "bench-cleanup", namespace });
  const redis = new Redis(sharedRedisUrl());
  await cleanupNamespace({ namespace, bus, redis });
  await bus.drain();
  redis.disconnect();
  return {
    bound: maxIngressBacklog,
    ...counts,
    peakBacklog,
    backlogAtEnd,
    acceptedPerSecond: Math.round(counts.accepted / seconds),
    load: Number(load.toFixed(1)),
  };
}

const servers = await provideTestServers();
const results: Round[] = [];
for (let i = 0; i < rounds; i++) {
  results.push(await round(0));
  results.push(await round(bound));
}
console.log(`backlog bound ${bound}, ${seconds} s per round, ${CONCURRENCY} senders, open loop`);
console.table(results);
await servers.stop();

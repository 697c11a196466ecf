// What the gateway's INGRESS backlog bound (CAREHUB_MAX_INGRESS_BACKLOG, docs/decisions/0084) does to a backlog
// under sustained overload: senders POST as fast as they can (open loop: a refused sender sends its next message,
// it does not wait Retry-After) to a gateway that accepts faster than intake reads. Each round starts a fresh
// namespace with the gateway and intake in this process, offers load for a fixed time and samples the intake
// consumer's backlog every 100 ms; the rounds alternate the bound off (0) and on, so both see the same machine.
// Run: node services/hub/bench/backlog-bound.bench.ts [bound, default 2000] [seconds per round, default 15] [rounds per setting, default 2]
import { loadavg } from "node:os";
import { INGRESS_CONSUMER } from "@carehub/bus";
import { cleanupNamespaceAt } from "@carehub/bus/testing";
import { createLogger } from "@carehub/observability";
import { parseHubConfig } from "@carehub/schemas";
import { provideTestServers, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { startHub } from "../src/start-hub.ts";
import { BENCH_REGISTRY, BENCH_TOKEN, freshHomecareBody } from "./ingest-fixture.ts";

const bound = Number(process.argv[2] ?? 2000);
const seconds = Number(process.argv[3] ?? 15);
const rounds = Number(process.argv[4] ?? 2);
const CONCURRENCY = 32;
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
  const hub = await startHub({
    config,
    services: ["intake", "gateway"],
    logger,
    registry: BENCH_REGISTRY,
    tracing: false,
  });
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
          headers: { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/fhir+json" },
          body: freshHomecareBody(),
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
  await cleanupNamespaceAt(namespace);
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

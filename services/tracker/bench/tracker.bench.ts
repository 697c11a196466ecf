/**
 * The read model at two sizes: a private redis-server is filled with 10,000 and then 1,000,000 synthetic
 * stored messages (each folded from its lifecycle events by the store's own fold, then written pipelined
 * with all its index entries, counters and timers), plus one referral per 20 messages. At each size it
 * measures getMessage, listMessages (first page, filtered page, deep cursor), getReferral and findByPatient
 * latencies (p50 / p99), and Redis memory per stored message (used_memory delta / count).
 * Results: bench/results/tracker.{json,md}.
 * Usage: pnpm bench:tracker   (env: BENCH_SIZES=10000,1000000, BENCH_SAMPLES=500)
 */
import { setFlagsFromString } from "node:v8";
import { applyEntityUpdate, createStore, encodeEntity, listCursorAt, type ReadModelStore } from "@carehub/store";
import type { Redis } from "ioredis";
import {
  type BenchEnvironment,
  benchEnvironment,
  benchSamples,
  benchSizes,
  DAY,
  ENDPOINTS,
  fillSynthetic,
  HASH_KEY,
  NOW,
  percentiles,
  rng,
  round,
  type Stats,
  usedMemory,
  uuidv7,
  withBenchRedis,
  writeBenchResults,
} from "./synthetic-read-model.ts";

// Millions of short-lived objects: a larger young generation keeps the fill from spending its time in GC.
setFlagsFromString("--max-semi-space-size=64");

const SIZES = benchSizes();
const SAMPLES = benchSamples(500);
const NAMESPACE = "bench";

interface SizeResult {
  messages: number;
  referrals: number;
  fillSeconds: number;
  bytesPerMessage: number;
  bytesPerReferral: number;
  sampleRecordBytes: number;
  latencyMs: Record<string, Stats>;
}

type Query = (i: number) => Promise<unknown>;

/** Fills one namespace with `size` messages; returns what was measured and the queries to time on it. */
async function fillSize(redis: Redis, size: number): Promise<{ result: SizeResult; queries: Record<string, Query> }> {
  const store: ReadModelStore = createStore({
    redis,
    namespace: `${NAMESPACE}-${size}`,
    retentionDays: 90,
    patientHashKey: HASH_KEY,
  });
  const random = rng(42);
  const before = await usedMemory(redis);
  const started = performance.now();
  const sampleIds: Array<{ hubId: string; at: number }> = [];
  const batch = 2_000;
  // Sampled with their own sequence, so the messages are the same whatever is sampled.
  const sampling = rng(43);
  await fillSynthetic(store, size, {
    random,
    patients: Math.max(1_000, size / 5),
    beside: (states) => {
      for (const state of states) {
        if (sampleIds.length < 5_000 && sampling() < 5_000 / size)
          sampleIds.push({ hubId: state.hubId, at: state.receivedAt ?? 0 });
      }
      return undefined;
    },
  });
  const afterMessages = await usedMemory(redis);
  const referrals = Math.floor(size / 20);
  for (let done = 0; done < referrals; done += batch) {
    const pipeline = redis.pipeline();
    for (let i = done; i < Math.min(referrals, done + batch); i++) {
      const subject = { type: "referral" as const, originator: "endpoint-01", id: `REF-${i}` };
      const t = NOW - Math.floor(random() * 30 * DAY);
      let state = applyEntityUpdate(
        undefined,
        {
          subject,
          seenAt: t,
          creation: {
            endpoint: "endpoint-01",
            party: { sor: "52581000016005", gln: "5790000127092" },
            counterparts: ["endpoint-02"],
          },
          fact: {
            status: "sent",
            occurredAt: t,
            sources: [uuidv7(t, random)],
            knownBy: ["endpoint-01", "endpoint-02"],
            by: ["endpoint-01"],
          },
        },
        { recordEffects: false },
      ).state;
      for (const [k, status] of (["booked", "rescheduled", "completed"] as const).entries()) {
        if (random() < 0.3) break;
        state = applyEntityUpdate(
          state,
          {
            subject,
            seenAt: t + (k + 1) * DAY,
            fact: {
              status,
              occurredAt: t + (k + 1) * DAY,
              sources: [uuidv7(t + (k + 1) * DAY, random)],
              knownBy: ["endpoint-01", "endpoint-02"],
              by: ["endpoint-02"],
            },
          },
          { recordEffects: false },
        ).state;
      }
      pipeline.set(
        store.keys.entity("referral", subject.originator, subject.id),
        encodeEntity(state),
        "PXAT",
        state.lastSeen + 91 * DAY,
      );
    }
    await pipeline.exec();
  }
  const fillSeconds = (performance.now() - started) / 1000;
  const afterReferrals = await usedMemory(redis);
  const sample = sampleIds[0];
  const sampleRecordBytes =
    sample === undefined ? 0 : Number(await redis.call("MEMORY", "USAGE", store.keys.message(sample.hubId)));

  // The middle of the sampled messages by receive time: a cursor about halfway down the listing.
  const bySampledTime = [...sampleIds].sort((a, b) => a.at - b.at);
  const middle = bySampledTime[Math.floor(bySampledTime.length / 2)] ?? { hubId: "", at: 0 };
  const deepCursor = listCursorAt(middle.at, middle.hubId);
  const pick = (i: number) => sampleIds[i % sampleIds.length] as { hubId: string };
  const queries: Record<string, Query> = {
    getMessage: (i) => store.getMessage(pick(i).hubId),
    "listMessages first page (50)": () => store.listMessages({ limit: 50 }),
    "listMessages filtered (sender + kind, 50)": (i) =>
      store.listMessages({ sender: ENDPOINTS[i % ENDPOINTS.length] as string, kind: "lab-result", limit: 50 }),
    "listMessages filtered (status dead-lettered, 50)": () =>
      store.listMessages({ status: "dead-lettered", limit: 50 }),
    "listMessages deep cursor (middle, 50)": () => store.listMessages({ cursor: deepCursor, limit: 50 }),
    getReferral: (i) => store.getReferral("endpoint-01", `REF-${i % referrals}`),
    findByPatient: (i) => store.findByPatient(String(1_000_000_000 + (i % 1_000)), { limit: 50 }),
  };
  const result: SizeResult = {
    messages: size,
    referrals,
    fillSeconds: Math.round(fillSeconds * 10) / 10,
    bytesPerMessage: Math.round((afterMessages - before) / size),
    bytesPerReferral: referrals === 0 ? 0 : Math.round((afterReferrals - afterMessages) / referrals),
    sampleRecordBytes,
    latencyMs: {},
  };
  return { result, queries };
}

/**
 * Times every query on every size, interleaved call by call (one on the small namespace, one on the large,
 * …) so that both see the same machine load: on a shared machine that is what makes the ratio mean something.
 */
async function timeInterleaved(filled: Array<{ result: SizeResult; queries: Record<string, Query> }>): Promise<void> {
  const names = Object.keys(filled[0]?.queries ?? {});
  for (const name of names) {
    for (const f of filled) for (let i = 0; i < 50; i++) await f.queries[name]?.(i); // warm-up
    const times: number[][] = filled.map(() => []);
    for (let i = 0; i < SAMPLES; i++) {
      for (const [k, f] of filled.entries()) {
        const started = performance.now();
        await f.queries[name]?.(i);
        times[k]?.push(performance.now() - started);
      }
    }
    filled.forEach((f, k) => {
      f.result.latencyMs[name] = percentiles(times[k] ?? []);
    });
  }
}

await withBenchRedis(async (redis, version) => {
  const filled: Array<{ result: SizeResult; queries: Record<string, Query> }> = [];
  for (const size of SIZES) {
    process.stderr.write(`filling ${size.toLocaleString("en")} messages…\n`);
    const one = await fillSize(redis, size);
    process.stderr.write(`  ${JSON.stringify(one.result)}\n`);
    filled.push(one);
  }
  process.stderr.write("timing queries…\n");
  await timeInterleaved(filled);
  const results = filled.map((f) => f.result);
  const small = results[0];
  const large = results[results.length - 1];
  const ratios: Record<string, { p50: number; p99: number }> = {};
  if (small !== undefined && large !== undefined && small !== large) {
    for (const [name, stats] of Object.entries(large.latencyMs)) {
      const base = small.latencyMs[name];
      if (base !== undefined) ratios[name] = { p50: round(stats.p50 / base.p50), p99: round(stats.p99 / base.p99) };
    }
  }
  const environment = benchEnvironment(version, SAMPLES);
  writeBenchResults("tracker", { environment, results, ratios }, markdown(environment, results, ratios));
});

function markdown(
  env: BenchEnvironment,
  results: SizeResult[],
  ratios: Record<string, { p50: number; p99: number }>,
): string {
  const sizes = results.map((r) => r.messages.toLocaleString("en"));
  const lines = [
    "# Tracker read-model benchmark",
    "",
    `\`pnpm bench:tracker\` — private redis-server ${env.redis}, Node ${env.node}, ${env.date}, ${env.cpus} cores shared with other work (load average at the end ${env.loadAverage.join(" / ")}).`,
    `Synthetic messages folded from their lifecycle events by the store's fold and written pipelined with every index entry, counter and timer; one referral per 20 messages. Each size in its own namespace of the same Redis; ${env.samples} timed calls per row and size after a warm-up, one at a time from one client, the sizes interleaved call by call so both see the same load.`,
    "",
    `| | ${sizes.join(" | ")} |`,
    `| --- | ${sizes.map(() => "---:").join(" | ")} |`,
    `| fill time | ${results.map((r) => `${r.fillSeconds} s`).join(" | ")} |`,
    `| Redis memory per stored message (used_memory delta / count, with all its index entries) | ${results.map((r) => `${r.bytesPerMessage} B`).join(" | ")} |`,
    `| of which the record itself (MEMORY USAGE of one) | ${results.map((r) => `${r.sampleRecordBytes} B`).join(" | ")} |`,
    `| memory per referral | ${results.map((r) => `${r.bytesPerReferral} B`).join(" | ")} |`,
  ];
  const names = Object.keys(results[0]?.latencyMs ?? {});
  lines.push(
    "",
    `| latency p50 / p99 (ms) | ${sizes.join(" | ")} | ratio p50 (p99) |`,
    `| --- | ${sizes.map(() => "---:").join(" | ")} | ---: |`,
  );
  for (const name of names) {
    const cells = results.map((r) => {
      const s = r.latencyMs[name];
      return s === undefined ? "" : `${s.p50} / ${s.p99}`;
    });
    const ratio = ratios[name];
    lines.push(`| ${name} | ${cells.join(" | ")} | ${ratio === undefined ? "" : `${ratio.p50}× (${ratio.p99}×)`} |`);
  }
  lines.push(
    "",
    "Target: every query within 2× between the two sizes. Listing cost is O(log n + scanned): the deep cursor starts",
    "by score, not by offset; a filtered page scans the smallest of its indexes and checks the others with ZMSCORE.",
    "Memory per referral at the larger size also carries the growth of Redis's key table (the referrals are",
    "written after a million messages), so the smaller size's figure is the one to budget with.",
    "",
  );
  return lines.join("\n");
}

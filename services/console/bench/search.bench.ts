/**
 * Message search at 10,000 and 1,000,000 stored messages (issues 13 and 15): every search key the console's
 * message browser and the query API (GET /v1/messages) offer — hub id, sender's message id, sender, receiver, kind,
 * status, time range, patient, combinations, paging to page 5 — and the single lookups, p50 / p99 per size, the
 * 1M / 10k ratio per query, against the targets (a search under 500 ms, a lookup under 100 ms, at most 2x from 10k
 * to 1M). Each size is filled into its own namespace of a private redis-server through the store's own bulk write
 * path (`importMessages`, bench:tracker's synthetic lifecycles) and the ledger's first-copy records (what a
 * sender's-message-id search reads). Every timed call goes through the console's `messageBrowser` (the listing is
 * the store's `listMessages`, which GET /v1/messages also calls). Not a test: nothing here asserts.
 * Results: bench/results/search.{json,md}.
 * Usage: pnpm bench:search   (env: BENCH_SIZES=10000,1000000, BENCH_SAMPLES=200)
 */
import { setFlagsFromString } from "node:v8";
import type { Bus } from "@carehub/bus";
import { encodeFirstCopy, ledgerKeys } from "@carehub/ledger";
import type { EndpointRegistry, RegistrySource } from "@carehub/registry";
import { type MessageKind, type MessagePage, retentionSeconds } from "@carehub/schemas";
import { createStore } from "@carehub/store";
import type { Redis } from "ioredis";
import {
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
  type Stats,
  usedMemory,
  withBenchRedis,
  writeBenchResults,
} from "../../tracker/bench/synthetic-read-model.ts";
import { type MessageSearch, messageBrowser } from "../src/message-browser.ts";

setFlagsFromString("--max-semi-space-size=64");

const SIZES = benchSizes();
const SAMPLES = benchSamples(200);
/** Messages per patient on average, the same at every size so a patient's listing is the same work. */
const MESSAGES_PER_PATIENT = 5;
/** The read model's retention here, and the first copies' (their marker hash's expiry, as the ledger sets it). */
const RETENTION_DAYS = 365;
const SEARCH_TARGET_MS = 500;
const LOOKUP_TARGET_MS = 100;
const RATIO_TARGET = 2;

/** A registry with the synthetic endpoints: all the browser asks of it is their ids (messageId without sender). */
const registry: RegistrySource = {
  current: () => ({ endpoints: () => ENDPOINTS.map((id) => ({ id })) }) as unknown as EndpointRegistry,
};
/** The browser reads the bus only for a payload, which is not timed here. */
const noBus = {} as Bus;

interface Query {
  name: string;
  lookup: boolean;
  /** A search with values drawn from `random` (a different sender, window, patient… per call). */
  make: (random: () => number) => MessageSearch;
  /** Pages to follow before the timed one (the timed call is page `skip + 1`). */
  skip?: number;
}

const pick = <T>(values: readonly T[], random: () => number): T => values[Math.floor(random() * values.length)] as T;
const endpoint = (random: () => number) => pick(ENDPOINTS, random);
/** A window of `days` ending somewhere in the 30 days the synthetic messages span. */
const window = (random: () => number, days: number) => {
  const to = NOW - Math.floor(random() * (30 - days) * DAY);
  return { from: new Date(to - days * DAY).toISOString(), to: new Date(to).toISOString() };
};

function queries(sample: { hubIds: string[]; messageIds: [string, string][]; patients: number }): Query[] {
  const patient = (random: () => number) => String(1_000_000_000 + Math.floor(random() * sample.patients));
  const kinds: MessageKind[] = ["lab-result", "referral", "care-communication", "hospital-notification"];
  return [
    { name: "lookup: hub id", lookup: true, make: (r) => ({ hubId: pick(sample.hubIds, r) }) },
    {
      name: "lookup: sender's message id, with sender",
      lookup: true,
      make: (r) => {
        const [sender, messageId] = pick(sample.messageIds, r);
        return { sender, messageId };
      },
    },
    {
      name: `lookup: sender's message id, any of ${ENDPOINTS.length} senders`,
      lookup: true,
      make: (r) => ({ messageId: pick(sample.messageIds, r)[1] }),
    },
    { name: "newest (no filter)", lookup: false, make: () => ({}) },
    { name: "sender", lookup: false, make: (r) => ({ sender: endpoint(r) }) },
    { name: "receiver", lookup: false, make: (r) => ({ receiver: endpoint(r) }) },
    { name: "kind", lookup: false, make: (r) => ({ kind: pick(kinds, r) }) },
    { name: "status: acknowledged (common)", lookup: false, make: () => ({ status: "acknowledged" }) },
    { name: "status: dead-lettered (rare)", lookup: false, make: () => ({ status: "dead-lettered" }) },
    { name: "time range: 1 day", lookup: false, make: (r) => window(r, 1) },
    { name: "time range: 1 hour", lookup: false, make: (r) => window(r, 1 / 24) },
    { name: "patient", lookup: false, make: (r) => ({ patient: patient(r) }) },
    { name: "sender + receiver", lookup: false, make: (r) => ({ sender: endpoint(r), receiver: endpoint(r) }) },
    {
      name: "sender + kind + status: acknowledged",
      lookup: false,
      make: (r) => ({ sender: endpoint(r), kind: pick(kinds, r), status: "acknowledged" }),
    },
    {
      name: "receiver + status: dead-lettered",
      lookup: false,
      make: (r) => ({ receiver: endpoint(r), status: "dead-lettered" }),
    },
    { name: "sender + time range: 1 day", lookup: false, make: (r) => ({ sender: endpoint(r), ...window(r, 1) }) },
    {
      name: "receiver + kind + time range: 7 days",
      lookup: false,
      make: (r) => ({ receiver: endpoint(r), kind: pick(kinds, r), ...window(r, 7) }),
    },
    { name: "patient + kind", lookup: false, make: (r) => ({ patient: patient(r), kind: pick(kinds, r) }) },
    { name: "page 5: newest", lookup: false, make: () => ({}), skip: 4 },
    { name: "page 5: sender", lookup: false, make: (r) => ({ sender: endpoint(r) }), skip: 4 },
    {
      name: "page 5: sender + receiver",
      lookup: false,
      make: (r) => ({ sender: endpoint(r), receiver: endpoint(r) }),
      skip: 4,
    },
  ];
}

interface SizeResult {
  messages: number;
  fillSeconds: number;
  redisBytes: number;
  latencyMs: Record<string, Stats & { items: number }>;
}

const results: SizeResult[] = [];
const version = await withBenchRedis(async (redis, version) => {
  for (const size of SIZES) results.push(await measure(redis, size));
  return version;
});
const environment = benchEnvironment(version, SAMPLES);
writeBenchResults("search", { environment, results }, markdown());

async function measure(redis: Redis, size: number): Promise<SizeResult> {
  const namespace = `bench-search-${size}`;
  const store = createStore({ redis, namespace, retentionDays: RETENTION_DAYS, patientHashKey: HASH_KEY });
  const ledger = ledgerKeys(namespace);
  const patients = Math.max(1, Math.floor(size / MESSAGES_PER_PATIENT));
  const random = rng(13);
  const hubIds: string[] = [];
  const messageIds: [string, string][] = [];
  const before = await usedMemory(redis);
  const started = performance.now();
  await fillSynthetic(store, size, {
    random,
    patients,
    beside: (states) => {
      // The sender's message id → hub id record that intake writes (the ledger's first copy, a field of the pair's
      // marker hash: docs/decisions/0124), pipelined.
      const firstCopies = redis.pipeline();
      for (const s of states) {
        if (s.sender !== undefined && s.messageId !== undefined) {
          const key = ledger.firstCopy(s.sender, s.messageId);
          firstCopies.hset(key, ledger.firstCopyField, encodeFirstCopy({ hubId: s.hubId }, undefined));
          firstCopies.expire(key, retentionSeconds(RETENTION_DAYS), "NX");
        }
      }
      const sampled = states.filter((_, i) => i % 97 === 0);
      for (const s of sampled) {
        hubIds.push(s.hubId);
        if (s.sender !== undefined && s.messageId !== undefined) messageIds.push([s.sender, s.messageId]);
      }
      return firstCopies.exec();
    },
  });
  const fillSeconds = Math.round((performance.now() - started) / 100) / 10;
  process.stderr.write(`${size.toLocaleString("en")}: filled in ${fillSeconds} s; timing…\n`);

  const browser = messageBrowser({ store, redis, bus: noBus, registry, namespace });
  const latencyMs: SizeResult["latencyMs"] = {};
  for (const query of queries({ hubIds, messageIds, patients })) {
    const values = rng(29);
    const call = async (): Promise<{ ms: number; page: MessagePage }> => {
      const search = query.make(values);
      let cursor: string | undefined;
      for (let p = 0; p < (query.skip ?? 0); p++) {
        const page = await browser.search({ ...search, ...(cursor === undefined ? {} : { cursor }) });
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      const t = performance.now();
      const page = await browser.search({ ...search, ...(cursor === undefined ? {} : { cursor }) });
      return { ms: performance.now() - t, page };
    };
    for (let i = 0; i < 10; i++) await call();
    const times: number[] = [];
    let items = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const { ms, page } = await call();
      times.push(ms);
      items += page.items.length;
    }
    latencyMs[query.name] = { ...percentiles(times), items: Math.round((items / SAMPLES) * 10) / 10 };
  }
  const redisBytes = (await usedMemory(redis)) - before;
  process.stderr.write(`${size.toLocaleString("en")}: ${JSON.stringify(latencyMs)}\n`);
  return { messages: size, fillSeconds, redisBytes, latencyMs };
}

function markdown(): string {
  const small = results[0];
  const large = results[results.length - 1];
  const names = Object.keys(large?.latencyMs ?? {});
  const lookups = new Set(
    queries({ hubIds: [], messageIds: [], patients: 1 })
      .filter((q) => q.lookup)
      .map((q) => q.name),
  );
  const cell = (r: SizeResult | undefined, name: string) => {
    const s = r?.latencyMs[name];
    return s === undefined ? "–" : `${s.p50} / ${s.p99}`;
  };
  const rows = names.map((name) => {
    const target = lookups.has(name) ? LOOKUP_TARGET_MS : SEARCH_TARGET_MS;
    const l = large?.latencyMs[name];
    const s = small?.latencyMs[name];
    const ratio = l !== undefined && s !== undefined && s.p50 > 0 ? Math.round((l.p50 / s.p50) * 100) / 100 : undefined;
    const meets = l !== undefined && l.p99 < target ? "yes" : "NO";
    const ratioMeets = ratio === undefined ? "–" : ratio <= RATIO_TARGET ? "yes" : "NO";
    return `| ${name} | ${cell(small, name)} | ${cell(large, name)} | ${s?.items ?? "–"} / ${l?.items ?? "–"} | ${ratio ?? "–"} (${ratioMeets}) | ${target} (${meets}) |`;
  });
  return [
    "# Message search benchmark",
    "",
    `\`pnpm bench:search\` — private redis-server ${environment.redis}, Node ${environment.node}, ${environment.date}, ${environment.cpus} cores shared with other work (load average at the end ${environment.loadAverage.join(" / ")}).`,
    `Read models of ${results.map((r) => r.messages.toLocaleString("en")).join(" and ")} messages (bench:tracker's synthetic lifecycles over 30 days, ${ENDPOINTS.length} endpoints, ${MESSAGES_PER_PATIENT} messages per patient on average), each filled through the store's \`importMessages\` and the ledger's first-copy records: ${results.map((r) => `${r.messages.toLocaleString("en")} in ${r.fillSeconds} s (Redis ${Math.round(r.redisBytes / 1_048_576)} MiB)`).join(", ")}.`,
    `${environment.samples} timed calls per row after 10 warm-up calls, one at a time from one client, through the console's message browser (a listing is the store's \`listMessages\`, as GET /v1/messages); the filter values (sender, window, patient, …) change from call to call. Page size 50. "page 5" times the fifth page only, with the cursor the first four returned.`,
    "",
    `| query | ${small?.messages.toLocaleString("en")}: p50 / p99 (ms) | ${large?.messages.toLocaleString("en")}: p50 / p99 (ms) | items per answer (10k / 1M: a ratio compares like with like only when both pages are full) | p50 ratio (≤ ${RATIO_TARGET}x) | target p99 (ms) at ${large?.messages.toLocaleString("en")} |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
  ].join("\n");
}

/**
 * Listing latency at two sizes measured call by call in turn (10k, 1M, 10k, 1M, …) on one private redis-server, so
 * a shared machine's load swings hit both sizes alike: the ratio between sizes is then worth reading even when the
 * absolute figures are not (`pnpm bench:search` times one size after the other). Fills through the store's
 * `importMessages` (bench:tracker's synthetic lifecycles); prints p50 per size and the ratio. Not a test.
 * Usage: node services/console/bench/search-interleaved.ts   (env: PROBE_SIZES=10000,100000)
 */
import { createStore } from "@carehub/store";
import {
  DAY,
  ENDPOINTS,
  fillSynthetic,
  HASH_KEY,
  NOW,
  rng,
  withBenchRedis,
} from "../../tracker/bench/synthetic-read-model.ts";

const sizes = (process.env.PROBE_SIZES ?? "10000,100000").split(",").map(Number);
const SAMPLES = 200;
await withBenchRedis(async (redis) => {
  const stores = [];
  for (const size of sizes) {
    const store = createStore({ redis, namespace: `probe${size}`, retentionDays: 365, patientHashKey: HASH_KEY });
    await fillSynthetic(store, size, { random: rng(13), patients: size / 5 });
    stores.push(store);
  }
  const q: Record<string, (i: number) => object> = {
    newest: () => ({}),
    receiver: (i) => ({ receiver: ENDPOINTS[i % 20] }),
    "sender+receiver": (i) => ({ sender: ENDPOINTS[i % 20], receiver: ENDPOINTS[(i * 7 + 3) % 20] }),
    "receiver+dead": (i) => ({ receiver: ENDPOINTS[i % 20], status: "dead-lettered" }),
    "sender+kind+ack": (i) => ({ sender: ENDPOINTS[i % 20], kind: "lab-result", status: "acknowledged" }),
    patient: (i) => ({ patient: String(1_000_000_000 + ((i * 37) % 2_000)) }),
    "patient+kind": (i) => ({ patient: String(1_000_000_000 + ((i * 37) % 2_000)), kind: "lab-result" }),
    day: (i) => ({
      from: new Date(NOW - ((i % 25) + 2) * DAY).toISOString(),
      to: new Date(NOW - ((i % 25) + 1) * DAY).toISOString(),
    }),
  };
  for (const [name, make] of Object.entries(q)) {
    const times: number[][] = sizes.map(() => []);
    for (let i = 0; i < SAMPLES; i++) {
      for (const [s, store] of stores.entries()) {
        const t = performance.now();
        await store.listMessages({ ...make(i), limit: 50 } as never);
        times[s]?.push(performance.now() - t);
      }
    }
    const p50 = times.map((t) => t.sort((a, b) => a - b)[SAMPLES / 2] ?? Number.NaN);
    const ratio = (p50[p50.length - 1] ?? Number.NaN) / (p50[0] ?? Number.NaN);
    console.log(`${name}: p50 ${p50.map((v) => v.toFixed(2)).join(" / ")} ms, ratio ${ratio.toFixed(2)}`);
  }
});

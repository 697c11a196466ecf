import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { connectTestRedis, routerTestbed, waitFor } from "../test/support.ts";
import { routerKeys } from "./router-keys.ts";
import { startRouter } from "./start-router.ts";

const bed = routerTestbed("router-events");
const keys = routerKeys(bed.ns);

/**
 * A Redis client of its own whose pipelines that write a marker hash field (the route marker's HSET) wait for
 * `gate` before they are sent; everything else goes as usual. The real Redis, only held back.
 */
function holdingRouteMarkers(gate: Promise<void>): Redis {
  const redis = connectTestRedis();
  const pipeline = redis.pipeline.bind(redis);
  redis.pipeline = ((...args: Parameters<Redis["pipeline"]>) => {
    const made = pipeline(...args);
    let marker = false;
    const hset = made.hset.bind(made);
    made.hset = ((...fields: Parameters<typeof made.hset>) => {
      marker = true;
      return hset(...fields);
    }) as typeof made.hset;
    const exec = made.exec.bind(made);
    made.exec = (async (...callback: Parameters<typeof made.exec>) => {
      if (marker) await gate;
      return exec(...callback);
    }) as typeof made.exec;
    return made;
  }) as Redis["pipeline"];
  return redis;
}

describe("the router's events beside its route marker (docs/decisions/0108)", () => {
  // Catches: the `routed` event awaited after the route marker's round trip again (one round trip more per message,
  // the PIPELINE message held open that much longer): with the marker held, the event never comes.
  it("publishes `routed` while the route marker is still held, and the marker is stored once let go", async () => {
    let release!: () => void;
    const redis = holdingRouteMarkers(new Promise<void>((resolve) => (release = resolve)));
    const router = await startRouter({ bus: bed.bus, redis, registry: bed.registry, retentionDays: 1 });
    try {
      const message = await bed.ingest({});
      await bed.toPipeline(message);
      const routed = await waitFor(() => bed.events.of("routed", message.hubId)[0], "routed event", 5_000);
      expect(routed).toMatchObject({ type: "routed", hubId: message.hubId });
      expect(await bed.redis.hexists(keys.markers(message.hubId), keys.routedField)).toBe(0);
      release();
      await waitFor(
        async () => (await bed.redis.hexists(keys.markers(message.hubId), keys.routedField)) === 1,
        "route marker",
      );
    } finally {
      release();
      await router.stop();
      await redis.quit();
    }
  });
});

import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { connectTestRedis, routerTestbed, waitFor } from "../test/support.ts";
import { routerKeys } from "./router-keys.ts";
import { startRouter } from "./start-router.ts";

const bed = routerTestbed("router-events");
const keys = routerKeys(bed.ns);

/**
 * A Redis client of its own whose route marker writes (the marker hash's HSET and EXPIRE, issued together without
 * a pipeline) wait for `gate` before they are sent, in the order they were issued; everything else goes as usual.
 * The real Redis, only held back.
 */
function holdingRouteMarkers(gate: Promise<void>): Redis {
  const redis = connectTestRedis();
  const isMarker = (key: unknown) => typeof key === "string" && key.startsWith(keys.markersPrefix);
  const hset = redis.hset.bind(redis) as (...args: unknown[]) => Promise<number>;
  redis.hset = (async (...args: unknown[]) => {
    if (isMarker(args[0])) await gate;
    return hset(...args);
  }) as unknown as Redis["hset"];
  const expire = redis.expire.bind(redis) as (...args: unknown[]) => Promise<number>;
  redis.expire = (async (...args: unknown[]) => {
    if (isMarker(args[0])) await gate;
    return expire(...args);
  }) as unknown as Redis["expire"];
  return redis;
}

/** A router whose route markers wait for `release`; stopped (and its client closed) by `stop`. */
async function routerHoldingMarkers() {
  let release!: () => void;
  const redis = holdingRouteMarkers(new Promise<void>((resolve) => (release = resolve)));
  const router = await startRouter({ bus: bed.bus, redis, registry: bed.registry, retentionDays: 1 });
  const stop = async () => {
    release();
    await router.stop();
    await redis.quit();
  };
  return { release, stop };
}

const markerStored = async (hubId: string) => (await bed.redis.hexists(keys.markers(hubId), keys.routedField)) === 1;

describe("the router's events beside its route marker (docs/decisions/0108)", () => {
  // Catches: the `routed` event awaited after the route marker's round trip again (one round trip more per message,
  // the PIPELINE message held open that much longer): with the marker held, the event never comes.
  it("publishes `routed` while the route marker is still held, and the marker is stored once let go", async () => {
    const held = await routerHoldingMarkers();
    try {
      const message = await bed.ingest({});
      await bed.toPipeline(message);
      const routed = await waitFor(() => bed.events.of("routed", message.hubId)[0], "routed event", 5_000);
      expect(routed).toMatchObject({ type: "routed", hubId: message.hubId });
      expect(await markerStored(message.hubId)).toBe(false);
      held.release();
      await waitFor(() => markerStored(message.hubId), "route marker");
    } finally {
      await held.stop();
    }
  });

  // Catches: `rejected` awaited after the rejection's marker again.
  it("publishes `rejected` while the rejection's marker is still held", async () => {
    const held = await routerHoldingMarkers();
    try {
      const message = await bed.ingest({ receivers: [{ sor: "123456789012345" }] });
      await bed.toPipeline(message);
      await waitFor(() => bed.events.of("rejected", message.hubId)[0], "rejected event", 5_000);
      expect(await markerStored(message.hubId)).toBe(false);
      held.release();
      await waitFor(() => markerStored(message.hubId), "rejection's marker");
    } finally {
      await held.stop();
    }
  });
});

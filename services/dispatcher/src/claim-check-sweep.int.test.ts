import { Objm } from "@nats-io/obj";
import { describe, expect, it } from "vitest";
import { dispatcherTestbed, SwappableRegistry, testEndpoint, testRegistry, waitFor } from "../test/support.ts";

/**
 * The dispatcher runs the claim-check sweep (docs/decisions/0061) every `claimCheckSweepMs`: an object no stream
 * message names goes. (What the sweep keeps and why is tested in packages/bus/src/claim-check.int.test.ts.)
 */
const bed = dispatcherTestbed("ccsweep");

describe("the dispatcher's claim-check sweep", () => {
  it("deletes an object no message names, on its interval", async () => {
    const store = await new Objm(bed.bus.js).open(bed.bus.topology.payloadBucket);
    await store.putBlob({ name: "orphan" }, new Uint8Array(1_024));
    await bed.dispatcher({
      registry: new SwappableRegistry(testRegistry([testEndpoint("ep-ccsweep")])),
      // A day ahead: the object counts as older than the sweep's two-hour minimum age.
      now: () => Date.now() + 86_400_000,
      options: { claimCheckSweepMs: 100, registryPollMs: 100 },
    });
    await waitFor(async () => {
      const info = await store.info("orphan");
      return info === null || info.deleted;
    }, "the orphan object deleted");
    expect((await store.list()).filter((o) => !o.deleted)).toEqual([]);
  });
});

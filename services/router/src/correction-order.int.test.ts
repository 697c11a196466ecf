import { beforeAll, describe, expect, it } from "vitest";
import { sampleResult } from "../test/fixtures.ts";
import { routerTestbed, waitFor } from "../test/support.ts";

/**
 * Chaos finding 2 (docs/reliability.md): a router killed while it holds an original gets it back only after the
 * consumer's ack wait, while the correction behind it is routed by the restarted router at once. An OIOXML
 * correction names no original, and the sample marker that would name it is written only when the original is
 * routed, so without the ack-floor wait the correction went out unordered, ahead of its original.
 */
const bed = routerTestbed("router-order");
const { ns, ingest, toPipeline } = bed;

const labSample = (corrected: boolean) => sampleResult(`${ns}-sample`, corrected);

const outboxIndex = (hubId: string) => bed.outbox.messages.findIndex((m) => m.headers["Carehub-Hub-Id"] === hubId);

beforeAll(async () => {
  // Creates the durable consumer, so that the test can take a message from it as a crashed router would have.
  await (await bed.router()).stop();
});

describe("a correction behind an original a crashed router still holds", () => {
  it("is routed only after the original, and ordered after it at the receiver (OIOXML, no link)", async () => {
    const original = await ingest({ content: labSample(false) });
    const correction = await ingest({ content: labSample(true) });
    await toPipeline(original);
    // A router took the original and died: nobody acks it, JetStream gives it back only after the ack wait.
    const consumer = await bed.bus.js.consumers.get(bed.bus.topology.streams.pipeline, "router");
    const held = await consumer.next({ expires: 5_000 });
    expect(held?.headers?.get("Carehub-Hub-Id")).toBe(original.hubId);
    await toPipeline(correction);

    await bed.router();
    // The restarted router has looked at the correction at least twice (it waits), or routed it (the bug).
    await waitFor(async () => {
      const info = await bed.bus.jsm.consumers.info(bed.bus.topology.streams.pipeline, "router");
      return outboxIndex(correction.hubId) >= 0 || info.num_redelivered > 0;
    }, "the correction looked at");
    expect(outboxIndex(correction.hubId)).toBe(-1);

    held?.nak(); // the original comes back (as after the ack wait)
    await waitFor(() => bed.events.of("routed", correction.hubId)[0], "the correction routed");
    expect(outboxIndex(original.hubId)).toBeGreaterThanOrEqual(0);
    expect(outboxIndex(original.hubId)).toBeLessThan(outboxIndex(correction.hubId));
    const copy = bed.outbox.messages[outboxIndex(correction.hubId)];
    expect(copy?.headers["Carehub-After"]).toBe(original.hubId);
  });
});

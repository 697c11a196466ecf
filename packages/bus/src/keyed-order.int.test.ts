import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus, text, waitFor } from "../test/helpers.ts";
import { type Bus, KeyedOrder } from "./index.ts";

/*
 * The keyed order's waiting notices on a real consumer (docs/decisions/0120): intake's lanes and the tracker's business
 * envelopes hand it `message.working()`, so a message waiting its turn longer than the consumer's ack wait is not
 * redelivered while it waits.
 */

let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
beforeAll(async () => {
  env = await testBus("keyed");
  bus = env.bus;
});
afterAll(() => env.cleanup());

describe("KeyedOrder on a real consumer", () => {
  // Catches: a waiting message not telling the server it is still in hand (the notices left out, or sent to nobody):
  // the server redelivers it after the ack wait while it waits, and its copy is handled a second time.
  it("keeps a message waiting its turn past the ack wait from being redelivered", async () => {
    const ackWaitMs = 1_500;
    const order = new KeyedOrder({ ackWaitMs });
    const subject = bus.topology.subjects.outbox("lane");
    await bus.publish(subject, "first", { msgId: "keyed-first" });
    await bus.publish(subject, "second", { msgId: "keyed-second" });
    const handled: Array<[string, number]> = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const consumer = await bus.consume({
      stream: bus.topology.streams.outbox,
      durable: "lane",
      stage: "lane",
      ackWaitMs,
      concurrency: 2,
      handler: (message) =>
        order.run(
          "lane",
          async () => {
            handled.push([text(message.data), message.deliveryCount]);
            if (text(message.data) !== "first") return;
            // The first one's own long work tells the server itself, as a handler doing long work must.
            const busy = setInterval(() => message.working(), ackWaitMs / 3);
            try {
              await held;
            } finally {
              clearInterval(busy);
            }
          },
          () => message.working(),
        ),
    });
    try {
      await waitFor("both in hand, the second waiting", async () => {
        const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, "lane");
        return handled.length === 1 && info.num_ack_pending === 2;
      });
      // The scenario, not a sync: the second waits three ack waits behind the first.
      setTimeout(release, 3 * ackWaitMs);
      await waitFor(
        "both acked",
        async () => {
          const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, "lane");
          return info.num_ack_pending === 0 && info.num_pending === 0 && handled.length >= 2;
        },
        15_000,
      );
    } finally {
      release();
      await consumer.stop();
    }
    const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, "lane");
    // Every delivery the consumer ever made: two, none of them a redelivery.
    expect(info.delivered.consumer_seq).toBe(2);
    expect(handled).toEqual([
      ["first", 1],
      ["second", 1],
    ]);
  }, 20_000);
});

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

/**
 * Two messages of one key on a real consumer with the given ack wait: the first held `holdAckWaits` ack waits (telling
 * the server itself, as a handler doing long work must), the second waiting its turn behind it. Returns every
 * delivery handled (payload, delivery count) and how many deliveries the consumer made in all.
 */
async function holdFirst(
  durable: string,
  holdAckWaits: number,
  ackWaitMs: number,
): Promise<{ handled: Array<[string, number]>; deliveries: number }> {
  const order = new KeyedOrder({ ackWaitMs });
  const subject = bus.topology.subjects.outbox(durable);
  await bus.publish(subject, "first", { msgId: `${durable}-first` });
  await bus.publish(subject, "second", { msgId: `${durable}-second` });
  const handled: Array<[string, number]> = [];
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const consumer = await bus.consume({
    stream: bus.topology.streams.outbox,
    durable,
    filterSubject: subject,
    stage: durable,
    ackWaitMs,
    concurrency: 4,
    handler: (message) =>
      order.run(
        "lane",
        async () => {
          handled.push([text(message.data), message.deliveryCount]);
          if (text(message.data) !== "first" || message.deliveryCount > 1) return;
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
      const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, durable);
      return handled.length === 1 && info.num_ack_pending === 2;
    });
    // The scenario, not a sync: the second waits this long behind the first.
    setTimeout(release, holdAckWaits * ackWaitMs);
    await waitFor(
      "both acked",
      async () => {
        const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, durable);
        return info.num_ack_pending === 0 && info.num_pending === 0 && handled.length >= 2;
      },
      20_000,
    );
  } finally {
    release();
    // Copies still in hand (a redelivery queued behind its own first delivery) finish before the stop returns.
    await consumer.stop();
  }
  const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, durable);
  return { handled, deliveries: info.delivered.consumer_seq };
}

describe("KeyedOrder on a real consumer", () => {
  // Catches: a waiting message not telling the server it is still in hand (the notices left out, or sent to nobody):
  // the server redelivers it after the ack wait while it waits, and its copy is handled a second time.
  it("keeps a message waiting its turn past the ack wait from being redelivered", async () => {
    // Two ack waits: past one, within the notices' bound (NOTICE_FOR_ACK_WAITS, three).
    // A 3 s ack wait (notices every second): a CI machine's stall of the event loop must not pass for a missing notice.
    const { handled, deliveries } = await holdFirst("lane", 2, 3_000);
    // Every delivery the consumer ever made: two, none of them a redelivery.
    expect(deliveries).toBe(2);
    expect(handled).toEqual([
      ["first", 1],
      ["second", 1],
    ]);
  }, 30_000);

  // Catches (review of 0120): a message waiting behind one that does not settle kept in hand for ever — never
  // redelivered, so no other copy of the stage could take it.
  it("gives a message back to the server once it has waited NOTICE_FOR_ACK_WAITS ack waits", async () => {
    const { handled } = await holdFirst("lane-bound", 6, 1_500);
    expect(handled).toContainEqual(["second", 2]);
  }, 30_000);
});

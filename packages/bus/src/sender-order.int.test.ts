import { AckPolicy, type JsMsg } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Follower, SenderOrder } from "./sender-order.ts";
import { openTestNamespace, type TestNamespace, waitFor } from "./testing.ts";

/**
 * The record a correction asks before it goes on (docs/decisions/0075): it waits for its own sender's unfinished
 * messages only — not for another sender's (the ack floor alone made every correction wait for every message, and
 * so for one another: the convoy of docs/reliability.md) and not for a waiting correction of something else.
 */
describe("SenderOrder", () => {
  let ns: TestNamespace;
  let order: SenderOrder;
  let stream: string;
  const durable = "order-test";

  beforeAll(async () => {
    ns = await openTestNamespace("sender-order");
    stream = ns.bus.topology.streams.ingress;
    await ns.bus.jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: ns.bus.topology.subjects.all.ingress,
    });
    order = new SenderOrder({
      jsm: ns.bus.jsm,
      redis: ns.redis,
      namespace: ns.namespace,
      stream,
      durable,
      senderOf: (stored) => (stored.subject.endsWith(".anon") ? undefined : stored.subject),
    });
  });
  afterAll(async () => {
    await ns?.close();
  });

  const subject = (sender: string) => ns.bus.topology.subjects.ingress(sender);
  let counter = 0;
  async function put(sender: string): Promise<number> {
    counter += 1;
    return (await ns.bus.publish(subject(sender), "x", { msgId: `${ns.namespace}-${counter}` })).seq;
  }
  /** Takes the next message as a worker would (delivered, not acknowledged). */
  async function take(): Promise<JsMsg> {
    const consumer = await ns.bus.js.consumers.get(stream, durable);
    const message = await consumer.next({ expires: 5_000 });
    if (message === null) throw new Error("nothing to take");
    return message;
  }
  const follower = (seq: number, sender: string, messageId: string, target: string): Follower => ({
    seq,
    sender: subject(sender),
    messageId,
    target,
  });

  it("waits for its own sender's message held unfinished, until it is marked finished", async () => {
    const original = await put("lab");
    const held = await take();
    const correction = await put("lab");
    await take(); // the correction itself is in hand
    expect(held.seq).toBe(original);
    expect(await order.earlierOfSenderSettled(follower(correction, "lab", "C1", "id:O1"))).toBe(false);
    order.finished(original);
    expect(await order.earlierOfSenderSettled(follower(correction, "lab", "C1", "id:O1"))).toBe(true);
    held.ack();
    order.finished(correction);
  });

  it("does not wait for another sender's unfinished message", async () => {
    const other = await put("practice");
    await take(); // held by a crashed worker: never finished here
    const correction = await put("lab");
    expect(await order.earlierOfSenderSettled(follower(correction, "lab", "C2", "id:O2"))).toBe(true);
    order.finished(other);
    order.finished(correction);
  });

  it("does not wait for a waiting correction of something else, but does for one of the same original", async () => {
    const original = await put("lab");
    await take();
    const first = await put("lab");
    await take();
    const second = await put("lab");
    // The first correction waits for the original.
    expect(await order.earlierOfSenderSettled(follower(first, "lab", "C3", "id:O3"))).toBe(false);
    await order.waiting(follower(first, "lab", "C3", "id:O3"));
    order.finished(original);
    // A correction of another original passes the waiting one; one of the same original, or of it, does not.
    expect(await order.earlierOfSenderSettled(follower(second, "lab", "C4", "id:O4"))).toBe(true);
    expect(await order.earlierOfSenderSettled(follower(second, "lab", "C4", "id:O3"))).toBe(false);
    expect(await order.earlierOfSenderSettled(follower(second, "lab", "C4", "id:C3"))).toBe(false);
    order.finished(first);
    order.finished(second);
  });

  it("waits for a message whose sender it cannot tell", async () => {
    const unknown = await put("anon");
    await take();
    const correction = await put("lab");
    expect(await order.earlierOfSenderSettled(follower(correction, "lab", "C5", "id:O5"))).toBe(false);
    order.finished(unknown);
    expect(await order.earlierOfSenderSettled(follower(correction, "lab", "C5", "id:O5"))).toBe(true);
  });
  /** A copy of the stage (its own SenderOrder) whose mark writes are counted: the number of marks in each. */
  function countingCopy(markWriteMs?: number): { copy: SenderOrder; writes: number[] } {
    const writes: number[] = [];
    const copy = new SenderOrder({
      jsm: ns.bus.jsm,
      redis: {
        zrangebyscore: (key, min, max) => ns.redis.zrangebyscore(key, min, max),
        zremrangebyscore: (key, min, max) => ns.redis.zremrangebyscore(key, min, max),
        eval: (script, numKeys, ...args) => ns.redis.eval(script, numKeys, ...args),
        zadd: (key, ...scoreMembers) => {
          if (key.endsWith(":finished")) writes.push(scoreMembers.length / 2);
          return ns.redis.zadd(key, ...scoreMembers);
        },
      },
      namespace: ns.namespace,
      stream,
      durable,
      senderOf: (stored) => stored.subject,
      ...(markWriteMs === undefined ? {} : { markWriteMs }),
    });
    return { copy, writes };
  }

  it("counts its own unwritten marks at once; another copy sees them once written, all in one command", async () => {
    const { copy: writer, writes } = countingCopy(600_000);
    const first = await put("clinic");
    await take();
    const second = await put("clinic");
    await take();
    const correction = await put("clinic");
    await take();
    const asks = (from: SenderOrder) => from.earlierOfSenderSettled(follower(correction, "clinic", "C7", "id:O7"));
    writer.finished(first);
    writer.finished(second);
    expect(await asks(writer)).toBe(true);
    expect(await asks(order)).toBe(false);
    await writer.flush();
    expect(writes).toEqual([2]);
    expect(await asks(order)).toBe(true);
    order.finished(correction);
  });

  it("writes the marks without being asked, a moment after they are made", async () => {
    const { copy: writer, writes } = countingCopy();
    const message = await put("ward");
    await take();
    const correction = await put("ward");
    await take();
    writer.finished(message);
    writer.finished(correction);
    await waitFor(() => order.earlierOfSenderSettled(follower(correction, "ward", "C8", "id:O8")), "the marks written");
    expect(writes).toEqual([2]);
  });

  it("reads the senders of the unfinished messages before it together, not one after another", async () => {
    let inFlight = 0;
    let most = 0;
    const jsm = ns.bus.jsm;
    const counting = new SenderOrder({
      jsm: {
        consumers: jsm.consumers,
        streams: {
          getMessage: async (...args: Parameters<typeof jsm.streams.getMessage>) => {
            inFlight += 1;
            most = Math.max(most, inFlight);
            try {
              return await jsm.streams.getMessage(...args);
            } finally {
              inFlight -= 1;
            }
          },
        },
      } as unknown as typeof jsm,
      redis: ns.redis,
      namespace: ns.namespace,
      stream,
      durable,
      senderOf: (stored) => stored.subject,
    });
    // Held by a crashed worker, from another sender: read, found not the correction's, not waited for.
    for (let i = 0; i < 5; i++) {
      await put("pharmacy");
      await take();
    }
    const correction = await put("surgery");
    expect(await counting.earlierOfSenderSettled(follower(correction, "surgery", "C9", "id:O9"))).toBe(true);
    expect(most).toBeGreaterThanOrEqual(5);
  });

  it("keeps the highest ack floor it read: a consumer given back an older floor does not make finished messages unfinished", async () => {
    const regressing = "order-floor-test";
    const config = {
      durable_name: regressing,
      ack_policy: AckPolicy.Explicit,
      filter_subject: ns.bus.topology.subjects.all.ingress,
    };
    await ns.bus.jsm.consumers.add(stream, config);
    const floorOrder = new SenderOrder({
      jsm: ns.bus.jsm,
      redis: ns.redis,
      namespace: ns.namespace,
      stream,
      durable: regressing,
      senderOf: (stored) => stored.subject,
    });
    const consumer = await ns.bus.js.consumers.get(stream, regressing);
    for (;;) {
      const message = await consumer.next({ expires: 1_000 });
      if (message === null) break;
      floorOrder.finished(message.seq);
      await message.ackAck();
    }
    const last = await put("lab");
    const taken = await consumer.next({ expires: 5_000 });
    floorOrder.finished(last);
    await taken?.ackAck();
    // Read (and remembered) once everything is acknowledged: the marks at or below it are trimmed.
    expect(await floorOrder.earlierOfSenderSettled(follower(last + 1, "lab", "C6", "id:O6"))).toBe(true);
    // As a nats-server restarted after a SIGKILL can: the consumer's floor is older than what was acknowledged.
    await ns.bus.jsm.consumers.delete(stream, regressing);
    await ns.bus.jsm.consumers.add(stream, config);
    const correction = await put("lab");
    expect(await floorOrder.earlierOfSenderSettled(follower(correction, "lab", "C6", "id:O6"))).toBe(true);
  });
});

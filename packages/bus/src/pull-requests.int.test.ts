import { sharedNatsUrl } from "@carehub/testkit";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus, waitFor } from "../test/helpers.ts";
import { pullThreshold } from "./consumer.ts";
import type { Bus } from "./index.ts";

// What a consumer asks of the server for its messages (docs/decisions/0115): its pull requests are ordinary
// publishes on `$JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>`, so a second connection subscribed there sees each.
let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
let watcher: NatsConnection;
beforeAll(async () => {
  env = await testBus("pulls");
  bus = env.bus;
  watcher = await connect({ servers: sharedNatsUrl(), name: `test-${env.namespace}-watcher` });
});
afterAll(async () => {
  await watcher.close();
  await env.cleanup();
});

async function consumeCountingPulls(
  tag: string,
  messages: number,
  spec: { batch?: number; concurrency?: number },
): Promise<{ pulls: number; batches: number[]; handled: Map<string, number> }> {
  const t = bus.topology;
  const subject = t.subjects.ingress(tag);
  for (let i = 0; i < messages; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, messages - i) }, (_, j) =>
        bus.publish(subject, "x", { msgId: `${tag}-${i + j}` }),
      ),
    );
  }
  const batches: number[] = [];
  const pulls = watcher.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${t.streams.ingress}.${tag}`, {
    callback: (_error, msg) => {
      batches.push((msg.json() as { batch: number }).batch);
    },
  });
  await watcher.flush();
  const handled = new Map<string, number>();
  const running = await bus.consume({
    stream: t.streams.ingress,
    durable: tag,
    filterSubject: subject,
    stage: "pulls",
    ...spec,
    handler: async (message) => {
      const id = message.msgId ?? "";
      handled.set(id, (handled.get(id) ?? 0) + 1);
    },
  });
  await waitFor("every message handled", () => handled.size === messages);
  await running.stop();
  await watcher.flush();
  pulls.unsubscribe();
  return { pulls: batches.length, batches, handled };
}

describe("a consumer's pull requests", () => {
  it("ask for three quarters of the batch each once it is running, not a quarter", async () => {
    // Bug caught: the consumer left at nats.js's refill point (a pull request whenever a quarter of the batch has
    // arrived): 300 messages at a batch of 100 took 13 requests of 25 instead of 5 (one of 100, then 75s).
    const { pulls, batches, handled } = await consumeCountingPulls("pulls-a", 300, { batch: 100 });
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
    expect(batches[0]).toBe(100);
    expect(batches.slice(1).every((batch) => batch >= 75)).toBe(true);
    expect(pulls).toBeLessThanOrEqual(1 + Math.ceil(300 / 75) + 1);
  });

  it("at the dispatcher's batch of 16 with 8 at once: a request per 12 messages, every message once", async () => {
    // Bug caught: a threshold that asks for nothing (batch minus owed = 0) or lets the pulls stop: the run
    // would stall and miss messages; one per 4 messages was the old rate.
    const { pulls, handled } = await consumeCountingPulls("pulls-b", 240, { batch: 16, concurrency: 8 });
    expect(handled.size).toBe(240);
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
    expect(pulls).toBeLessThanOrEqual(1 + Math.ceil(240 / 12) + 1);
  });

  it("keeps nats.js's own refill point where a quarter of the batch rounds to nothing", () => {
    expect(pullThreshold(1)).toBeUndefined();
    expect(pullThreshold(3)).toBeUndefined();
    expect(pullThreshold(4)).toBe(1);
    expect(pullThreshold(16)).toBe(4);
    expect(pullThreshold(100)).toBe(25);
  });
});

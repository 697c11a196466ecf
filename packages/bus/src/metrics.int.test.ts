import { metricsText, metricValue } from "@carehub/observability";
import { PermanentError, RetryableError } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus, text, waitFor } from "../test/helpers.ts";
import { type Bus, type RunningConsumer, startStreamMetrics } from "./index.ts";

/*
 * The backlog and stream gauges against the real NATS: they follow what the server says about this test's
 * own streams and consumers (labels unique to the namespace; metrics are process-global).
 */

let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
const running: RunningConsumer[] = [];
beforeAll(async () => {
  env = await testBus("metrics");
  bus = env.bus;
});
afterAll(async () => {
  for (const c of running) await c.stop();
  await env.cleanup();
});

describe("stream metrics", () => {
  it("a dead letter raises the DLQ's message and byte gauges; stopping drops the hub's series", async () => {
    const dlq = bus.topology.streams.dlq;
    const streamMetrics = startStreamMetrics(bus, { intervalMs: 50, minIntervalMs: 0 });
    await streamMetrics.refresh();
    expect(await metricValue("carehub_stream_messages", { stream: dlq })).toBe(0);
    expect(await metricsText()).toContain(`carehub_stream_messages{stream="${bus.topology.streams.ingress}"} 0`);

    running.push(
      await bus.consume({
        stream: bus.topology.streams.outbox,
        durable: "dead-end",
        filterSubject: bus.topology.subjects.outbox("dead-end"),
        stage: "dead-end",
        handler: async () => {
          throw new PermanentError("CAREHUB_ERR_TEST_REFUSED", "refused for the test");
        },
      }),
    );
    await bus.publish(bus.topology.subjects.outbox("dead-end"), "doomed", { msgId: "doomed-1" });
    await waitFor("the DLQ gauge to show the dead letter", async () => {
      await streamMetrics.refresh();
      return (await metricValue("carehub_stream_messages", { stream: dlq })) === 1;
    });
    expect(await metricValue("carehub_stream_bytes", { stream: dlq })).toBeGreaterThan("doomed".length);
    expect(await metricValue("carehub_stream_messages", { stream: bus.topology.streams.outbox })).toBe(1);

    await streamMetrics.stop();
    expect(await metricsText()).not.toContain(`stream="${dlq}"} `);
  });
});

describe("consumer backlog", () => {
  it("shows ack-pending, redelivered and the oldest unacknowledged message while a handler holds one, and clears", async () => {
    const endpoint = "held";
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    running.push(
      await bus.consume({
        stream: bus.topology.streams.outbox,
        durable: endpoint,
        filterSubject: bus.topology.subjects.outbox(endpoint),
        stage: endpoint,
        backoffMs: [10],
        backlogIntervalMs: 50,
        handler: async (message) => {
          if (text(message.data) !== "first") return;
          if (message.deliveryCount === 1) throw new RetryableError("CAREHUB_ERR_TEST_LATER", "once more");
          await gate;
        },
      }),
    );
    const labels = { stream: bus.topology.streams.outbox, consumer: endpoint };
    const value = (name: string) => metricValue(name, labels);
    await bus.publish(bus.topology.subjects.outbox(endpoint), "first", { msgId: "held-1" });
    await bus.publish(bus.topology.subjects.outbox(endpoint), "second", { msgId: "held-2" });

    await waitFor("the held, redelivered message in the gauges", async () => {
      return (
        (await value("carehub_consumer_ack_pending")) === 1 &&
        (await value("carehub_consumer_redelivered")) === 1 &&
        (await value("carehub_consumer_oldest_unacked_seconds")) > 0
      );
    });
    expect(await value("carehub_consumer_pending")).toBe(0);

    release();
    await waitFor("the gauges to clear once it is acknowledged", async () => {
      return (
        (await value("carehub_consumer_ack_pending")) === 0 &&
        (await value("carehub_consumer_redelivered")) === 0 &&
        (await value("carehub_consumer_oldest_unacked_seconds")) === 0
      );
    });
  });
});

import { SpanKind, startTracing, type TracingHandle, withSpan } from "@carehub/observability";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus, waitFor } from "../test/helpers.ts";
import { type Bus, HEADER } from "./index.ts";

let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
let tracing: TracingHandle;
beforeAll(async () => {
  tracing = startTracing({ exporter: "memory" });
  env = await testBus("trace");
  bus = env.bus;
});
afterAll(async () => {
  await env.cleanup();
  await tracing.shutdown();
});

describe("trace context across the bus", () => {
  it("makes the publisher's PRODUCER span the parent of the consumer's CONSUMER span, and chains the next hop", async () => {
    const seenTraceparent: string[] = [];
    const consumer = await bus.consume({
      stream: bus.topology.streams.ingress,
      durable: "intake",
      stage: "intake",
      handler: async (message) => {
        seenTraceparent.push(message.headers[HEADER.traceparent] ?? "");
        // The next hop, published inside the handler, continues the same trace.
        await bus.publish(bus.topology.subjects.pipeline("lab-result"), "{}", { msgId: "hop-2" });
      },
    });
    const traceId = await withSpan("gateway request", SpanKind.SERVER, {}, async (span) => {
      await bus.publish(bus.topology.subjects.ingress("lps-1"), "<xml/>", { msgId: "hop-1" });
      return span.spanContext().traceId;
    });
    await waitFor("consumed", () => consumer.processed === 1);
    await consumer.stop();

    const spans = tracing.finishedSpans();
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const [producer] = byName("ingress publish");
    const [process] = byName("intake process");
    const [nextHop] = byName("pipeline publish");
    expect(producer?.kind).toBe(SpanKind.PRODUCER);
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(producer?.spanContext().traceId).toBe(traceId);
    expect(process?.spanContext().traceId).toBe(traceId);
    expect(process?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
    expect(nextHop?.parentSpanContext?.spanId).toBe(process?.spanContext().spanId);
    expect(seenTraceparent[0]).toContain(producer?.spanContext().spanId);
    // No patient data, no unbounded names: span names carry the stream role, never an endpoint id.
    expect(spans.map((s) => s.name)).not.toContain("lps-1");
  });
});

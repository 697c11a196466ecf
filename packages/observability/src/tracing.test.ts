import { context, SpanKind, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import {
  activeTraceId,
  extractTraceContext,
  injectTraceContext,
  startTracing,
  type TracingHandle,
  traceIdFromHeaders,
  withSpan,
} from "./tracing.ts";

let tracing: TracingHandle | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

describe("tracing", () => {
  it("names the trace id of the active span, and of a traceparent header, for lifecycle events", async () => {
    tracing = startTracing({ exporter: "memory" });
    expect(activeTraceId()).toBeUndefined();
    const inside = await withSpan("handle", SpanKind.CONSUMER, {}, async (span) => [
      span.spanContext().traceId,
      activeTraceId(),
    ]);
    expect(inside[1]).toBe(inside[0]);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    expect(traceIdFromHeaders({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` })).toBe(traceId);
    expect(traceIdFromHeaders({ traceparent: "garbage" })).toBeUndefined();
    expect(traceIdFromHeaders({})).toBeUndefined();
  });

  it("carries a span's context through W3C headers to a child span in another 'process'", async () => {
    tracing = startTracing({ exporter: "memory" });
    const headers: Record<string, string> = {};
    await withSpan("publish", SpanKind.PRODUCER, {}, async () => {
      injectTraceContext(headers);
    });
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const parent = extractTraceContext(headers);
    await withSpan("process", SpanKind.CONSUMER, {}, async () => {}, parent);
    const [producer, consumer] = tracing.finishedSpans();
    expect(consumer?.spanContext().traceId).toBe(producer?.spanContext().traceId);
    expect(consumer?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
  });

  it("makes the span active across awaits, and records a scrubbed error", async () => {
    tracing = startTracing({ exporter: "memory" });
    await expect(
      withSpan("outer", SpanKind.INTERNAL, { note: "for 0101901234" }, async (span) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        expect(trace.getSpan(context.active())?.spanContext().spanId).toBe(span.spanContext().spanId);
        throw new Error("failed for 010190-1234");
      }),
    ).rejects.toThrow("failed for 010190-1234");
    const [span] = tracing.finishedSpans();
    expect(span?.attributes.note).toBe("for [CPR]");
    expect(span?.status.message).toBe("failed for [CPR]");
    expect(JSON.stringify(span?.events)).not.toMatch(/010190/);
  });

  it("injects nothing when no span is active and no SDK is registered", () => {
    const headers: Record<string, string> = {};
    injectTraceContext(headers);
    expect(headers).toEqual({});
  });

  it("records nothing when nothing exports, yet carries the trace id from hop to hop", async () => {
    // A recording span with no exporter costs a busy hub a few % of its CPU for spans no one reads.
    tracing = startTracing({ exporter: "none" });
    const headers: Record<string, string> = {};
    let producerTraceId = "";
    await withSpan("publish", SpanKind.PRODUCER, { note: "x" }, async (span) => {
      expect(span.isRecording()).toBe(false);
      producerTraceId = span.spanContext().traceId;
      injectTraceContext(headers);
    });
    expect(headers.traceparent).toMatch(new RegExp(`^00-${producerTraceId}-[0-9a-f]{16}-0[01]$`));
    await withSpan(
      "process",
      SpanKind.CONSUMER,
      {},
      async (span) => {
        expect(span.isRecording()).toBe(false);
        expect(span.spanContext().traceId).toBe(producerTraceId);
      },
      extractTraceContext(headers),
    );
  });
});

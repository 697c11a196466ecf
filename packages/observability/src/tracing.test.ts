import { context, SpanKind, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import {
  activeTraceId,
  extractTraceContext,
  injectTraceContext,
  NonRecordingTracer,
  startTracing,
  type TracingHandle,
  traceIdFromHeaders,
  tracer,
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

  // Catches: the non-recording tracer (no SDK on the hot path, decision 0114) breaking what the SDK's AlwaysOff
  // tracer gave — a child under its parent's span id (two hops indistinguishable in a collector downstream), a root
  // without a valid trace id (events of a message sent without a traceparent lose their trace), a trace state or
  // a `root` option ignored, a span that claims to be sampled — or not being the one used when nothing exports.
  it("when nothing exports, gives each span a new span id in its parent's trace, and a root a new valid trace", () => {
    tracing = startTracing({ exporter: "none" });
    expect(tracer).toBeInstanceOf(NonRecordingTracer);
    const root = tracer.startSpan("root", {}, context.active());
    const rootContext = root.spanContext();
    expect(rootContext.traceId).toMatch(/^(?!0+$)[0-9a-f]{32}$/);
    expect(rootContext.spanId).toMatch(/^(?!0+$)[0-9a-f]{16}$/);
    expect(rootContext.traceFlags).toBe(0);
    expect(root.isRecording()).toBe(false);
    const parent = extractTraceContext(
      { traceparent: `00-${"ab".repeat(16)}-${"cd".repeat(8)}-01`, tracestate: "vendor=x" },
      context.active(),
    );
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const child = tracer.startSpan("child", {}, parent).spanContext();
      expect(child.traceId).toBe("ab".repeat(16));
      expect(child.traceState?.serialize()).toBe("vendor=x");
      expect(child.traceFlags).toBe(0);
      seen.add(child.spanId);
    }
    // New span ids every time, across a refill of the random pool (256 spans' worth).
    expect(seen.size).toBe(600);
    expect(seen.has("cd".repeat(8))).toBe(false);
    const another = tracer.startSpan("root", { root: true }, parent).spanContext();
    expect(another.traceId).not.toBe("ab".repeat(16));
    expect(tracer.startSpan("other", {}, context.active()).spanContext().traceId).not.toBe(rootContext.traceId);
    const active = tracer.startActiveSpan("active", {}, parent, () => activeTraceId());
    expect(active).toBe("ab".repeat(16));
  });

  it("uses the SDK's tracer when spans are exported", () => {
    tracing = startTracing({ exporter: "memory" });
    expect(tracer).not.toBeInstanceOf(NonRecordingTracer);
  });
});

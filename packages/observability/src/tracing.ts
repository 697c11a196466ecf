import {
  type Attributes,
  type Context,
  context,
  propagation,
  type Span,
  type SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { AsyncLocalStorageContextManager } from "./context-manager.ts";
import { scrubText } from "./patient-data.ts";

export type { Context, Span } from "@opentelemetry/api";
export { SpanKind } from "@opentelemetry/api";

/**
 * carehub's one tracer. Non-recording (and nearly free) until `startTracing` registers a provider;
 * `startTracing` and `shutdown` rebind it (an ESM live binding, so importers always see the current one).
 */
export let tracer: Tracer = trace.getTracer("carehub");

// Used directly (not through the global propagation API) so trace context crosses NATS headers
// even when no SDK was set up in this process.
const propagator = new W3CTraceContextPropagator();

const recordSetter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

const recordGetter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** Writes the W3C `traceparent` / `tracestate` of `ctx` (default: the active context) into `headers`. */
export function injectTraceContext(headers: Record<string, string>, ctx: Context = context.active()): void {
  propagator.inject(ctx, headers, recordSetter);
}

/** The context carried by W3C headers, on top of `base` (default: the active context). */
export function extractTraceContext(headers: Record<string, string>, base: Context = context.active()): Context {
  return propagator.extract(base, headers, recordGetter);
}

/** Attribute values are scrubbed of CPR numbers as a last line of defence. */
function safeAttributes(attributes: Attributes): Attributes {
  const safe: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    safe[key] = typeof value === "string" ? scrubText(value) : value;
  }
  return safe;
}

/**
 * Runs `fn` inside a new span (child of `parent`, default the active context) that is active for
 * everything `fn` awaits. A throw marks the span as an error (scrubbed message) and is re-thrown.
 */
export async function withSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  const span = tracer.startSpan(name, { kind, attributes: safeAttributes(attributes) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span as failed without putting any patient identifier on it. */
export function recordError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const name = error instanceof Error ? error.name : "Error";
  const message = scrubText(error instanceof Error ? error.message : String(error));
  const code = (error as { code?: unknown } | null)?.code;
  span.recordException({ name, message, ...(typeof code === "string" ? { code } : {}) });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

export interface TracingOptions {
  /** `console` prints finished spans, `memory` keeps them for tests, `none` records but exports nothing; or any exporter. */
  exporter?: "console" | "memory" | "none" | SpanExporter;
}

export interface TracingHandle {
  readonly provider: BasicTracerProvider;
  /** Spans finished so far (only with `exporter: "memory"`; otherwise empty). */
  finishedSpans(): ReadableSpan[];
  /** Clears the in-memory spans (tests). */
  reset(): void;
  /** Flushes and unregisters the provider, propagator and context manager. */
  shutdown(): Promise<void>;
}

/**
 * Registers a tracer provider, the W3C propagator and an AsyncLocalStorage context manager globally.
 * Services call it once at start; tests use `exporter: "memory"` and read `finishedSpans()`.
 */
export function startTracing(options: TracingOptions = {}): TracingHandle {
  const exporterOption = options.exporter ?? "none";
  const memory = exporterOption === "memory" ? new InMemorySpanExporter() : undefined;
  const processors: SpanProcessor[] = [];
  if (memory) processors.push(new SimpleSpanProcessor(memory));
  else if (exporterOption === "console") processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  else if (typeof exporterOption === "object") processors.push(new BatchSpanProcessor(exporterOption));
  const provider = new BasicTracerProvider({ spanProcessors: processors });
  const contextManager = new AsyncLocalStorageContextManager();
  // Replace whatever an earlier call registered (tests start and stop tracing several times).
  trace.disable();
  context.disable();
  propagation.disable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(provider);
  tracer = trace.getTracer("carehub");
  return {
    provider,
    finishedSpans: () => memory?.getFinishedSpans() ?? [],
    reset: () => memory?.reset(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      tracer = trace.getTracer("carehub");
    },
  };
}

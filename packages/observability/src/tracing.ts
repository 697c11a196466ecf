import { randomFillSync } from "node:crypto";
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import {
  type ExportResult,
  ExportResultCode,
  isTracingSuppressed,
  W3CTraceContextPropagator,
} from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { AsyncLocalStorageContextManager } from "./context-manager.ts";
import { scrubText } from "./patient-data.ts";

export type { Context, Span } from "@opentelemetry/api";

/** carehub's version, as `service.version` on spans. */
const CAREHUB_VERSION = "0.1.0";

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

/**
 * The trace id of the active span (W3C, 32 hex digits), or undefined outside any trace. Valid also when
 * tracing is off in this process but the span continues a `traceparent` that came with the message.
 */
export function activeTraceId(ctx: Context = context.active()): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The trace id the W3C `traceparent` in `headers` names, or undefined when there is none (or it is malformed). */
export function traceIdFromHeaders(headers: Record<string, string>): string | undefined {
  return activeTraceId(propagator.extract(ROOT_CONTEXT, headers, recordGetter));
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
  const span = tracer.startSpan(name, { kind }, parent);
  // Scrubbed and kept only when the span is recorded (no sampler of the hub's reads attributes at the start).
  if (span.isRecording()) span.setAttributes(safeAttributes(attributes));
  try {
    return await context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Random span and trace ids, hex, cut from a pool of random bytes filled 4 KiB at a time (what the SDK's generator
 * does with Math.random for each id, and one call of the CSPRNG for 256 spans here).
 */
const idPool = Buffer.alloc(4096);
let idPoolAt = idPool.length;
function randomHex(bytes: number): string {
  if (idPoolAt + bytes > idPool.length) {
    randomFillSync(idPool);
    idPoolAt = 0;
  }
  const hex = idPool.toString("hex", idPoolAt, idPoolAt + bytes);
  idPoolAt += bytes;
  // All-zero ids are invalid (W3C); one in 2^64 at worst: draw again.
  return /^0+$/.test(hex) ? randomHex(bytes) : hex;
}

/**
 * The tracer when nothing exports (docs/decisions/0114): what the SDK's tracer does with its AlwaysOff sampler — a
 * span that records nothing, in the parent's trace (a new one at a root) under a new span id, not sampled, the
 * parent's trace state kept — without the SDK's sampler call, span limits, tracer metrics and attribute handling
 * on every message at every hop.
 */
export class NonRecordingTracer implements Tracer {
  startSpan(_name: string, options?: SpanOptions, ctx: Context = context.active()): Span {
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = options?.root === true ? undefined : trace.getSpanContext(ctx);
    const continued = parent !== undefined && isSpanContextValid(parent) ? parent : undefined;
    return trace.wrapSpanContext({
      traceId: continued?.traceId ?? randomHex(16),
      spanId: randomHex(8),
      traceFlags: TraceFlags.NONE,
      ...(continued?.traceState === undefined ? {} : { traceState: continued.traceState }),
    });
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest.at(-1) as (span: Span) => ReturnType<F>;
    const options = rest.length >= 2 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length >= 3 ? (rest[1] as Context) : context.active();
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), fn, undefined, span);
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
  /**
   * `otlp` sends spans to an OpenTelemetry collector over OTLP/HTTP (JSON), to the endpoint in the standard
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` variables; `console` prints finished
   * spans, `memory` keeps them for tests, `none` exports nothing and so records nothing (spans keep valid
   * contexts: trace ids still propagate); or any exporter. Default: `otlp`
   * when one of those variables is set in `env`, else `none`.
   */
  exporter?: "otlp" | "console" | "memory" | "none" | SpanExporter;
  /** `service.name` on every span; default `OTEL_SERVICE_NAME`, else `carehub`. */
  serviceName?: string;
  /** Where the OTEL_* variables are read; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Where OTLP/HTTP spans go: the traces endpoint as given, or the general endpoint plus `/v1/traces`. */
function otlpTracesUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces !== undefined && traces !== "") return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base === undefined || base === "" ? undefined : `${base.replace(/\/+$/, "")}/v1/traces`;
}

/**
 * The OTLP/HTTP exporter, loaded when the first spans are exported or flushed: a process that exports nothing
 * never loads it, nor the OTLP transformer and metrics SDK it brings (about 130 modules; docs/decisions/0099).
 * The import starts at once, so a broken installation shows at start-up, not only with the first spans.
 */
class LazyOtlpExporter implements SpanExporter {
  readonly #exporter: Promise<SpanExporter>;

  constructor(url: string | undefined) {
    this.#exporter = import("@opentelemetry/exporter-trace-otlp-http").then(
      ({ OTLPTraceExporter }) => new OTLPTraceExporter({ url }),
    );
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.#exporter.then(
      (exporter) => exporter.export(spans, resultCallback),
      (error: unknown) =>
        resultCallback({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
    );
  }

  async shutdown(): Promise<void> {
    await (await this.#exporter).shutdown();
  }

  async forceFlush(): Promise<void> {
    await (await this.#exporter).forceFlush?.();
  }
}

/** The exporter the options and the standard OTEL_* variables ask for. */
export function tracingExporterFor(options: TracingOptions): NonNullable<TracingOptions["exporter"]> {
  if (options.exporter !== undefined) return options.exporter;
  const env = options.env ?? process.env;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return endpoint !== undefined && endpoint !== "" && env.OTEL_TRACES_EXPORTER !== "none" ? "otlp" : "none";
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
  const exporterOption = tracingExporterFor(options);
  const env = options.env ?? process.env;
  const memory = exporterOption === "memory" ? new InMemorySpanExporter() : undefined;
  const processors: SpanProcessor[] = [];
  if (memory) processors.push(new SimpleSpanProcessor(memory));
  else if (exporterOption === "console") processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  else if (exporterOption === "otlp") {
    // Headers, timeout and TLS come from the standard OTEL_EXPORTER_OTLP_* variables, read by the exporter.
    processors.push(new BatchSpanProcessor(new LazyOtlpExporter(otlpTracesUrl(env))));
  } else if (typeof exporterOption === "object") processors.push(new BatchSpanProcessor(exporterOption));
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: options.serviceName ?? env.OTEL_SERVICE_NAME ?? "carehub",
    [ATTR_SERVICE_VERSION]: CAREHUB_VERSION,
  });
  // Nothing exports: spans are not recorded (no attributes, events or timings kept for no one — a few % of a
  // busy hub's CPU), yet each still has a valid context, so trace ids reach headers, events and the read model.
  const sampler = processors.length === 0 ? { sampler: new AlwaysOffSampler() } : {};
  const provider = new BasicTracerProvider({ resource, spanProcessors: processors, ...sampler });
  const recorded = processors.length > 0;
  const contextManager = new AsyncLocalStorageContextManager();
  // Replace whatever an earlier call registered (tests start and stop tracing several times).
  trace.disable();
  context.disable();
  propagation.disable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(provider);
  // carehub's own spans (every message's, at every hop) skip the SDK when nothing records them.
  tracer = recorded ? trace.getTracer("carehub") : new NonRecordingTracer();
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

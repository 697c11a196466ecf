import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { type ExportResult, ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core";
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

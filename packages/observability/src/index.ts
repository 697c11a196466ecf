export { createLogger, type Logger, type LoggerOptions } from "./logger.ts";
export {
  collectProcessMetrics,
  metrics,
  metricsContentType,
  metricsRegistry,
  metricsText,
  onMetricsCollect,
} from "./metrics.ts";
export { CPR_REPLACEMENT, isPatientKey, REDACTED, redactPatientData, scrubText } from "./patient-data.ts";
export {
  type Context,
  extractTraceContext,
  injectTraceContext,
  recordError,
  type Span,
  SpanKind,
  startTracing,
  type TracingHandle,
  type TracingOptions,
  tracer,
  withSpan,
} from "./tracing.ts";

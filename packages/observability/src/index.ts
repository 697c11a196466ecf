export { createLogger, type Logger, type LoggerOptions } from "./logger.ts";
export { errorCodeLabel, labelValue } from "./metric-labels.ts";
export { type MetricPoller, type MetricPollerOptions, pollMetrics } from "./metric-poller.ts";
export {
  collectProcessMetrics,
  metrics,
  metricsContentType,
  metricsRegistry,
  metricsText,
  metricValue,
  onMetricsCollect,
  recordAckOverdue,
  recordDeadLetter,
  recordDeliveryAttempt,
  recordHttpRequest,
  recordRejection,
  recordStatusChange,
  recordStatusRefused,
  recordStreamSize,
} from "./metrics.ts";
export { type MetricsServer, type MetricsServerOptions, serveMetrics } from "./metrics-server.ts";
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

export {
  EVENT_LOOP_TICK_MS,
  type EventLoopMonitor,
  HEARTBEAT_TICK_MS,
  SUSTAINED_TICKS,
  watchEventLoop,
} from "./event-loop-monitor.ts";
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
  recordGatewayRefusals,
  recordHttpRequest,
  recordPossibleDuplicate,
  recordRejection,
  recordStatusChange,
  recordStatusRefused,
  recordStreamOverBudget,
  recordStreamSize,
  recordUnmatchedStatus,
} from "./metrics.ts";
export { CPR_REPLACEMENT, isPatientKey, REDACTED, redactPatientData, scrubText } from "./patient-data.ts";
export { checkReadiness, type Readiness } from "./readiness.ts";
export { timeOrderedId } from "./time-ordered-id.ts";
export {
  activeTraceId,
  type Context,
  extractTraceContext,
  injectTraceContext,
  recordError,
  type Span,
  SpanKind,
  startTracing,
  type TracingHandle,
  type TracingOptions,
  traceIdFromHeaders,
  tracer,
  withSpan,
} from "./tracing.ts";

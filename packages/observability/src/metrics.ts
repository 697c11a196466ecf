import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { errorCodeLabel, labelValue } from "./metric-labels.ts";

/**
 * One Prometheus registry per process. Labels are bounded on purpose: stage, kind, outcome, stream and
 * consumer names, error codes from the catalogue, registry endpoint ids and business statuses — never a
 * message id, endpoint-supplied text or anything about a patient. docs/runbook.md "Metrics" says what each
 * family means and what to alert on.
 */
export const metricsRegistry = new Registry();

const collectHooks = new Set<() => void>();

function runCollectHooks(): void {
  for (const hook of collectHooks) hook();
}

/**
 * Runs `hook` before every scrape. Hot paths (the bus consumer) count in plain numbers and push them
 * into the metrics here and on a timer, instead of paying prom-client's label hashing per message.
 * Returns a function that removes the hook.
 */
export function onMetricsCollect(hook: () => void): () => void {
  collectHooks.add(hook);
  return () => collectHooks.delete(hook);
}

export const metrics = {
  messages: new Counter({
    name: "carehub_messages_total",
    help: "Messages handled, by stage, message kind and outcome (acked, retried, dead-lettered, published, ...)",
    labelNames: ["stage", "kind", "outcome"] as const,
    registers: [metricsRegistry],
    // Registered first, so this runs before any metric of the registry is read.
    collect: runCollectHooks,
  }),
  handleSeconds: new Histogram({
    name: "carehub_handle_seconds",
    help: "Time a stage spends handling one message, in seconds",
    labelNames: ["stage"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [metricsRegistry],
  }),
  consumerPending: new Gauge({
    name: "carehub_consumer_pending",
    help: "Messages waiting on a durable consumer (not yet delivered)",
    labelNames: ["stream", "consumer"] as const,
    registers: [metricsRegistry],
  }),
  consumerAckPending: new Gauge({
    name: "carehub_consumer_ack_pending",
    help: "Messages a durable consumer has delivered and not yet had acknowledged (in a handler, or waiting to be redelivered)",
    labelNames: ["stream", "consumer"] as const,
    registers: [metricsRegistry],
  }),
  consumerRedelivered: new Gauge({
    name: "carehub_consumer_redelivered",
    help: "Unacknowledged messages of a durable consumer that were delivered more than once (retries, crashed handlers)",
    labelNames: ["stream", "consumer"] as const,
    registers: [metricsRegistry],
  }),
  consumerOldestUnackedSeconds: new Gauge({
    name: "carehub_consumer_oldest_unacked_seconds",
    help: "Age of the oldest message a durable consumer has not finished (its ack floor + 1), 0 when it is caught up",
    labelNames: ["stream", "consumer"] as const,
    registers: [metricsRegistry],
  }),
  streamMessages: new Gauge({
    name: "carehub_stream_messages",
    help: "Messages a stream holds (for the DLQ: dead letters waiting for an operator)",
    labelNames: ["stream"] as const,
    registers: [metricsRegistry],
  }),
  streamBytes: new Gauge({
    name: "carehub_stream_bytes",
    help: "Bytes a stream holds",
    labelNames: ["stream"] as const,
    registers: [metricsRegistry],
  }),
  streamOverBudgetBytes: new Gauge({
    name: "carehub_stream_over_budget_bytes",
    help: "Bytes a stream holds over CAREHUB_STREAM_MAX_BYTES that the size sweep could not purge because a consumer has not processed them (0: within budget)",
    labelNames: ["stream"] as const,
    registers: [metricsRegistry],
  }),
  rejections: new Counter({
    name: "carehub_rejections_total",
    help: "Messages rejected, by stage and CAREHUB_ERR_ code; a message rejected for several reasons counts once under each distinct code",
    labelNames: ["stage", "code"] as const,
    registers: [metricsRegistry],
  }),
  statusChanges: new Counter({
    name: "carehub_status_changes_total",
    help: "Business status changes applied to referrals, tasks and appointments, by subject type and new status",
    labelNames: ["subject", "status"] as const,
    registers: [metricsRegistry],
  }),
  statusRefused: new Counter({
    name: "carehub_status_refused_total",
    help: "Business status transitions refused as invalid (two systems disagree about a referral, task or appointment)",
    labelNames: ["subject"] as const,
    registers: [metricsRegistry],
  }),
  unmatchedStatuses: new Counter({
    name: "carehub_unmatched_statuses_total",
    help: "Business statuses about a referral, task or appointment whose creating message the hub has not seen (kept, flagged unmatched), by subject type",
    labelNames: ["subject"] as const,
    registers: [metricsRegistry],
  }),
  deliveryAttempts: new Counter({
    name: "carehub_delivery_attempts_total",
    help: "Delivery attempts to receiving endpoints, by endpoint and outcome (delivered, failed)",
    labelNames: ["endpoint", "outcome"] as const,
    registers: [metricsRegistry],
  }),
  possibleDuplicates: new Counter({
    name: "carehub_delivery_possible_duplicates_total",
    help: "Deliveries of a copy whose previous attempt may have reached the receiver (its dispatcher died mid-call, or it got no answer: a timeout, a connection cut), so the receiver may get it twice (same message id and webhook-id), by endpoint",
    labelNames: ["endpoint"] as const,
    registers: [metricsRegistry],
  }),
  deliverySeconds: new Histogram({
    name: "carehub_delivery_seconds",
    help: "Time one delivery attempt to an endpoint takes (webhook call or inbox publish), in seconds",
    labelNames: ["endpoint"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [metricsRegistry],
  }),
  deadLetters: new Counter({
    name: "carehub_dead_letters_total",
    help: "Messages dead-lettered towards a receiving endpoint, by endpoint and CAREHUB_ERR_ code",
    labelNames: ["endpoint", "code"] as const,
    registers: [metricsRegistry],
  }),
  httpRequests: new Counter({
    name: "carehub_http_requests_total",
    help: "HTTP requests the gateway answered, by route pattern, method and status code",
    labelNames: ["route", "method", "status"] as const,
    registers: [metricsRegistry],
  }),
  httpSeconds: new Histogram({
    name: "carehub_http_request_seconds",
    help: "Time the gateway takes to answer an HTTP request, by route pattern, in seconds",
    labelNames: ["route"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metricsRegistry],
  }),
  gatewayRefusals: new Counter({
    name: "carehub_gateway_refusals_total",
    help: "Requests the gateway refused for load (503 with Retry-After, answered before routing: CAREHUB_ERR_GATEWAY_OVERLOADED, or CAREHUB_ERR_GATEWAY_INGRESS_BACKLOG for ingress-backlog), by the bound that was reached: requests, bytes, connections, event-loop, ingress-backlog",
    labelNames: ["bound"] as const,
    registers: [metricsRegistry],
  }),
  gatewayRetryAfter: new Gauge({
    name: "carehub_gateway_retry_after_seconds",
    help: "The wait the gateway now asks of a refused caller (Retry-After, before jitter): 1 at rest, growing with the refusal rate up to 15",
    registers: [metricsRegistry],
  }),
  eventLoopDelay: new Gauge({
    name: "carehub_event_loop_delay_seconds",
    help: "How late the main event loop ran: the highest sustained lateness (the least of three consecutive ticks of the event-loop monitor: 20 ms apart in the gateway, 100 ms elsewhere) since the previous scrape, what the gateway's CAREHUB_MAX_EVENT_LOOP_LAG_MS bound compares",
    registers: [metricsRegistry],
  }),
  ackOverdue: new Counter({
    name: "carehub_ack_overdue_total",
    help: "Delivered messages whose acknowledgement did not come within the receiving endpoint's timeout",
    labelNames: ["endpoint"] as const,
    registers: [metricsRegistry],
  }),
};

/*
 * What services record, one call where the thing happens. Each guards its labels (metric-labels.ts), so a
 * new family for another service is a family above plus a function here.
 */

/** A message was rejected (its `rejected` event stored): counted once under each distinct code. */
export function recordRejection(stage: string, codes: Iterable<string>): void {
  const stageLabel = labelValue(stage);
  for (const code of new Set(Array.from(codes, errorCodeLabel))) metrics.rejections.inc({ stage: stageLabel, code });
}

/** A referral, task or appointment moved to `status` (its `status-changed` event stored). */
export function recordStatusChange(subject: string, status: string): void {
  metrics.statusChanges.inc({ subject: labelValue(subject), status: labelValue(status) });
}

/** An invalid business transition was refused (its `transition-refused` event stored). */
export function recordStatusRefused(subject: string): void {
  metrics.statusRefused.inc({ subject: labelValue(subject) });
}

/** A status about an entity whose creating message the hub has not seen (its `unmatched-status` event stored). */
export function recordUnmatchedStatus(subject: string): void {
  metrics.unmatchedStatuses.inc({ subject: labelValue(subject) });
}

/** `endpoint` (a registry id) did not acknowledge a delivered message in time (`ack-overdue` stored). */
export function recordAckOverdue(endpoint: string): void {
  metrics.ackOverdue.inc({ endpoint: labelValue(endpoint) });
}

/** One delivery attempt to `endpoint` (a registry id) ended, after `seconds`. */
export function recordDeliveryAttempt(endpoint: string, outcome: "delivered" | "failed", seconds: number): void {
  const label = labelValue(endpoint);
  metrics.deliveryAttempts.inc({ endpoint: label, outcome });
  metrics.deliverySeconds.observe({ endpoint: label }, seconds);
}

/**
 * A delivery to `endpoint` is about to start whose previous attempt may have reached the receiver without the
 * hub learning of it (a wire duplicate the contract allows: the receiver drops it by message id).
 */
export function recordPossibleDuplicate(endpoint: string): void {
  metrics.possibleDuplicates.inc({ endpoint: labelValue(endpoint) });
}

/** A message was dead-lettered towards `endpoint` (its `dead-lettered` event stored). */
export function recordDeadLetter(endpoint: string, code: string): void {
  metrics.deadLetters.inc({ endpoint: labelValue(endpoint), code: errorCodeLabel(code) });
}

/**
 * The gateway answered a request. `route` is the route PATTERN (`/v1/messages/:id`), never the URL: ids in
 * paths would make a series per message; requests that matched no route count as `unmatched`.
 */
export function recordHttpRequest(route: string | undefined, method: string, status: number, seconds: number): void {
  const routeLabel = route === undefined || route === "" ? "unmatched" : labelValue(route);
  metrics.httpRequests.inc({ route: routeLabel, method: labelValue(method), status: String(status) });
  metrics.httpSeconds.observe({ route: routeLabel }, seconds);
}

/** How much each stream holds (the stream metrics collector). */
export function recordStreamSize(stream: string, state: { messages: number; bytes: number }): void {
  const labels = { stream: labelValue(stream) };
  metrics.streamMessages.set(labels, state.messages);
  metrics.streamBytes.set(labels, state.bytes);
}

/** After a size-retention pass: the bytes a stream holds over its budget that nothing processed yet lets go. */
export function recordStreamOverBudget(stream: string, bytes: number): void {
  metrics.streamOverBudgetBytes.set({ stream: labelValue(stream) }, bytes);
}

/**
 * The current value of one counter or gauge series (0 when it was never set): for tests and tools that check
 * a metric moved. Runs the collect hooks first, like a scrape.
 */
export async function metricValue(name: string, labels: Readonly<Record<string, string>>): Promise<number> {
  const metric = metricsRegistry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name} in the registry`);
  runCollectHooks();
  const wanted = Object.entries(labels);
  const { values } = await metric.get();
  const found = values.find((v) => wanted.every(([key, value]) => v.labels[key] === value));
  return found?.value ?? 0;
}

let processMetricsOn = false;

/** Adds Node process metrics (CPU, memory, event loop lag) to the registry; call once at service start. */
export function collectProcessMetrics(prefix = "carehub_"): void {
  if (processMetricsOn) return;
  processMetricsOn = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix });
}

/** The registry in Prometheus text exposition format, for `GET /metrics`. */
export function metricsText(): Promise<string> {
  return metricsRegistry.metrics();
}

/** The content type to answer `GET /metrics` with. */
export const metricsContentType = metricsRegistry.contentType;

/**
 * Refusals for load the gateway made since its last report, by bound (`requests`, `bytes`, `connections`,
 * `event-loop`, `ingress-backlog`), and the wait it now asks for. Called from a collect hook: a refusal itself only adds to a number.
 */
export function recordGatewayRefusals(
  refusedSinceLastReport: Readonly<Record<string, number>>,
  retryAfterSeconds: number,
): void {
  for (const [bound, count] of Object.entries(refusedSinceLastReport)) {
    if (count > 0) metrics.gatewayRefusals.inc({ bound: labelValue(bound) }, count);
  }
  metrics.gatewayRetryAfter.set(retryAfterSeconds);
}

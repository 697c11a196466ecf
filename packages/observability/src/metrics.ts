import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * One Prometheus registry per process. Labels are bounded on purpose: stage, kind, outcome, stream and
 * consumer names — never a message id, endpoint-supplied text or anything about a patient.
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
};

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

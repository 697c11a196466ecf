import { type Logger, type MetricPoller, metrics, onMetricsCollect, pollMetrics } from "@carehub/observability";
import type { ConsumerInfo, JetStreamManager, MsgRequest } from "@nats-io/jetstream";

/** A durable consumer's backlog, as its consumer info tells it. */
export interface ConsumerBacklog {
  /** Not yet delivered. */
  pending: number;
  /** Delivered, not yet acknowledged. */
  ackPending: number;
  /** Of those, delivered more than once. */
  redelivered: number;
  /** Age of the oldest message not yet acknowledged (the one after the ack floor), 0 when caught up. */
  oldestUnackedSeconds: number;
}

/** How often a consumer's info is read at least (scrapes read it more often, at most once a second). */
export const CONSUMER_INFO_INTERVAL_MS = 10_000;

/**
 * Reads one durable consumer's backlog: its info, and when something is unfinished, the time of the first
 * message after its ack floor that its filter takes (everything at or below the floor is acknowledged).
 */
export async function readConsumerBacklog(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  now: () => number = Date.now,
): Promise<ConsumerBacklog> {
  const info = await jsm.consumers.info(stream, durable);
  return {
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    oldestUnackedSeconds: await oldestUnackedSeconds(jsm, info, now),
  };
}

async function oldestUnackedSeconds(jsm: JetStreamManager, info: ConsumerInfo, now: () => number): Promise<number> {
  if (info.num_pending + info.num_ack_pending === 0) return 0;
  const seq = info.ack_floor.stream_seq + 1;
  // STREAM.MSG.GET takes `next_by_subj` (the first match at or after `seq`, skipping other subjects and
  // deleted messages) since nats-server 2.9; the client's type for this call lists only `seq` and `last_by_subj`.
  const query = { seq, next_by_subj: info.config.filter_subject ?? ">" } as MsgRequest;
  const oldest = await jsm.streams.getMessage(info.stream_name, query);
  if (oldest === null) return 0;
  return Math.max(0, (now() - oldest.time.getTime()) / 1000);
}

/**
 * One consumer's metrics. Message counts and the pending gauge are kept in plain fields and pushed into
 * the process registry before each scrape and once a second, so the per-message cost is a field update
 * rather than a prom-client label lookup. Latency goes straight into the histogram. When given a backlog
 * reader, the consumer's info is polled too (ack-pending, redelivered, oldest unacknowledged, and pending
 * while no message arrives — exactly when a stuck consumer needs it).
 */
export class ConsumerMetrics {
  readonly #stage: string;
  readonly #counts = new Map<string, Map<string, number>>();
  readonly #latency: { observe(value: number): void };
  readonly #pendingGauge: { set(value: number): void };
  readonly #ackPendingGauge: { set(value: number): void };
  readonly #redeliveredGauge: { set(value: number): void };
  readonly #oldestGauge: { set(value: number): void };
  readonly #removeHook: () => void;
  readonly #timer: NodeJS.Timeout;
  readonly #poller: MetricPoller | undefined;
  #pending = -1;

  constructor(
    stage: string,
    stream: string,
    consumer: string,
    backlog?: { read: () => Promise<ConsumerBacklog>; intervalMs?: number; logger?: Logger | undefined },
  ) {
    this.#stage = stage;
    const labels = { stream, consumer };
    this.#latency = metrics.handleSeconds.labels({ stage });
    this.#pendingGauge = metrics.consumerPending.labels(labels);
    this.#ackPendingGauge = metrics.consumerAckPending.labels(labels);
    this.#redeliveredGauge = metrics.consumerRedelivered.labels(labels);
    this.#oldestGauge = metrics.consumerOldestUnackedSeconds.labels(labels);
    this.#removeHook = onMetricsCollect(() => this.flush());
    this.#timer = setInterval(() => this.flush(), 1_000);
    this.#timer.unref();
    this.#poller =
      backlog === undefined
        ? undefined
        : pollMetrics(async () => this.backlog(await backlog.read()), {
            name: `consumer ${stream}/${consumer}`,
            intervalMs: backlog.intervalMs ?? CONSUMER_INFO_INTERVAL_MS,
            logger: backlog.logger,
          });
  }

  count(kind: string, outcome: string): void {
    let byKind = this.#counts.get(outcome);
    if (byKind === undefined) {
      byKind = new Map();
      this.#counts.set(outcome, byKind);
    }
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }

  latency(seconds: number): void {
    this.#latency.observe(seconds);
  }

  /** Pending as the last delivered message's metadata tells it. */
  pending(value: number): void {
    this.#pending = value;
  }

  /** The consumer info's view; its pending replaces the last message's (whichever is newer wins). */
  backlog(value: ConsumerBacklog): void {
    this.#pending = value.pending;
    this.#ackPendingGauge.set(value.ackPending);
    this.#redeliveredGauge.set(value.redelivered);
    this.#oldestGauge.set(value.oldestUnackedSeconds);
  }

  /** Reads the consumer info now (tests; the poller does it on its own). */
  refreshBacklog(): Promise<void> {
    return this.#poller?.refresh() ?? Promise.resolve();
  }

  flush(): void {
    for (const [outcome, byKind] of this.#counts) {
      for (const [kind, n] of byKind) {
        if (n > 0) metrics.messages.inc({ stage: this.#stage, kind, outcome }, n);
        byKind.set(kind, 0);
      }
    }
    if (this.#pending >= 0) this.#pendingGauge.set(this.#pending);
  }

  async close(): Promise<void> {
    await this.#poller?.stop();
    this.flush();
    clearInterval(this.#timer);
    this.#removeHook();
  }
}

import { metrics, onMetricsCollect } from "@carehub/observability";

/**
 * One consumer's metrics. Message counts and the pending gauge are kept in plain fields and pushed into
 * the process registry before each scrape and once a second, so the per-message cost is a field update
 * rather than a prom-client label lookup. Latency goes straight into the histogram.
 */
export class ConsumerMetrics {
  readonly #stage: string;
  readonly #counts = new Map<string, Map<string, number>>();
  readonly #latency: { observe(value: number): void };
  readonly #pendingGauge: { set(value: number): void };
  readonly #removeHook: () => void;
  readonly #timer: NodeJS.Timeout;
  #pending = -1;

  constructor(stage: string, stream: string, consumer: string) {
    this.#stage = stage;
    this.#latency = metrics.handleSeconds.labels({ stage });
    this.#pendingGauge = metrics.consumerPending.labels({ stream, consumer });
    this.#removeHook = onMetricsCollect(() => this.flush());
    this.#timer = setInterval(() => this.flush(), 1_000);
    this.#timer.unref();
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

  pending(value: number): void {
    this.#pending = value;
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

  close(): void {
    this.flush();
    clearInterval(this.#timer);
    this.#removeHook();
  }
}

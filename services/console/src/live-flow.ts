import type { Bus } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import { type CountedEvent, FlowCounter, type FlowSecond } from "./flow-counter.ts";

/** What waits at each receiving endpoint and in the dead-letter queue, as JetStream tells it. */
export interface Backlog {
  /** Epoch ms of the reading. */
  at: number;
  /** Per endpoint: not yet delivered plus delivered but not yet acknowledged on its OUTBOX consumer. */
  endpoints: Record<string, number>;
  deadLetters: number;
}

export interface LiveFlow {
  series(seconds?: number): FlowSecond[];
  backlog(): Backlog;
  /** Calls `listener` once a second with the second just finished and the latest backlog; returns unsubscribe. */
  onTick(listener: (second: FlowSecond, backlog: Backlog) => void): () => void;
  stop(): Promise<void>;
}

/** How often the OUTBOX consumers and the DLQ stream are read. */
export const BACKLOG_POLL_MS = 2_000;

/**
 * Counts lifecycle events as they are published (a plain NATS subscription on `<ns>.events.>`: no consumer
 * state on the server, so every console copy counts on its own) and reads the backlogs every BACKLOG_POLL_MS.
 * The hour kept is this process's: a restarted console starts with an empty chart.
 */
export function startLiveFlow(bus: Bus, logger: Logger, clock: () => number = Date.now): LiveFlow {
  const counter = new FlowCounter();
  const listeners = new Set<(second: FlowSecond, backlog: Backlog) => void>();
  let backlog: Backlog = { at: clock(), endpoints: {}, deadLetters: 0 };
  const subscription = bus.nc.subscribe(bus.topology.subjects.all.events, {
    callback: (error, message) => {
      if (error !== null) return;
      try {
        counter.count(message.json<CountedEvent>(), clock());
      } catch {
        // Not JSON: nothing to count (the tracker dead-letters it).
      }
    },
  });
  const readBacklog = async () => {
    const { streams, subjects } = bus.topology;
    const endpoints: Record<string, number> = {};
    const prefix = subjects.all.outbox.slice(0, -1);
    for await (const info of bus.jsm.consumers.list(streams.outbox)) {
      const filter = info.config.filter_subject;
      if (filter === undefined || !filter.startsWith(prefix)) continue;
      const endpoint = filter.slice(prefix.length);
      endpoints[endpoint] = (endpoints[endpoint] ?? 0) + info.num_pending + info.num_ack_pending;
    }
    const dlq = await bus.jsm.streams.info(streams.dlq);
    backlog = { at: clock(), endpoints, deadLetters: dlq.state.messages };
  };
  let polling = false;
  const poll = setInterval(() => {
    if (polling) return;
    polling = true;
    readBacklog()
      .catch((error: unknown) => logger.warn({ err: error }, "console could not read the backlogs"))
      .finally(() => {
        polling = false;
      });
  }, BACKLOG_POLL_MS);
  void readBacklog().catch((error: unknown) => logger.warn({ err: error }, "console could not read the backlogs"));
  const tick = setInterval(() => {
    const last = counter.series(clock() - 1000, 1)[0];
    if (last === undefined) return;
    for (const listener of listeners) listener(last, backlog);
  }, 1000);
  return {
    series: (seconds) => counter.series(clock(), seconds),
    backlog: () => backlog,
    onTick(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      clearInterval(poll);
      clearInterval(tick);
      listeners.clear();
      subscription.unsubscribe();
    },
  };
}

import { type Bus, INGRESS_CONSUMER, isJetStreamNotFound } from "@carehub/bus";
import type { Logger } from "@carehub/observability";

/** How often the intake consumer's backlog is read (one JetStream API request each time). */
export const BACKLOG_SAMPLE_MS = 1_000;
/**
 * A reading older than this (NATS not answering the consumer info) counts as none: the bound then admits, and
 * the publish itself says whether NATS takes the message. Refusing on a stale figure could refuse for ever.
 */
const STALE_AFTER_MS = 10_000;

export interface IngressBacklog {
  /**
   * INGRESS messages that intake has not finished (pending + unacknowledged) as last read, plus the messages
   * this gateway admitted since that read was asked for; 0 when unknown.
   */
  current(): number;
  /** This gateway admitted a message (counted until the next reading, which includes it). */
  admitted(): void;
  stop(): void;
}

/**
 * Reads the hub's intake backlog off the request path (docs/decisions/0084-refuse-when-ingress-is-behind.md):
 * every BACKLOG_SAMPLE_MS, one consumer-info request for the durable `intake` consumer on INGRESS; the backlog
 * is its `num_pending` (not yet delivered) plus `num_ack_pending` (in intake's hands). No intake consumer yet
 * (no intake ever started on this namespace): 0, nothing to be behind. One read at a time; the timer is unref'd.
 * Between readings the messages this gateway admits are added to the last one, so a burst cannot run a whole
 * interval past the bound (other gateways' admissions show at the next reading).
 */
export function watchIngressBacklog(
  bus: Bus,
  options: { intervalMs?: number; logger?: Logger; now?: () => number } = {},
): IngressBacklog {
  const intervalMs = options.intervalMs ?? BACKLOG_SAMPLE_MS;
  const now = options.now ?? Date.now;
  const stream = bus.topology.streams.ingress;
  let backlog = 0;
  let admittedSinceRead = 0;
  let readAt = Number.NEGATIVE_INFINITY;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const read = async (): Promise<void> => {
    // What was admitted before the request goes out is in the reading (or nearly: a publish may still be on its way).
    const admittedBefore = admittedSinceRead;
    try {
      const info = await bus.jsm.consumers.info(stream, INGRESS_CONSUMER);
      backlog = info.num_pending + info.num_ack_pending;
      admittedSinceRead -= admittedBefore;
      readAt = now();
      failing = false;
    } catch (error) {
      if (isJetStreamNotFound(error, "consumer")) {
        backlog = 0;
        admittedSinceRead = 0;
        readAt = now();
        return;
      }
      if (!failing) options.logger?.warn({ err: error, stream }, "cannot read the intake backlog; admitting meanwhile");
      failing = true;
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void read().finally(schedule), intervalMs);
    timer.unref();
  };
  void read().finally(schedule);

  return {
    current: () => (now() - readAt > STALE_AFTER_MS ? 0 : backlog + admittedSinceRead),
    admitted: () => {
      admittedSinceRead++;
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

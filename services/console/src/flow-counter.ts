import { marksArrival } from "@carehub/schemas";

/** One second of traffic as the EVENTS stream told it. */
export interface FlowSecond {
  /** Start of the second, epoch seconds. */
  t: number;
  received: number;
  delivered: number;
  rejected: number;
  deadLettered: number;
  ackOverdue: number;
  /** Messages received, by kind. */
  byKind: Record<string, number>;
  /** Messages received from each sending endpoint. */
  bySender: Record<string, number>;
  /** Deliveries to each receiving endpoint. */
  byReceiver: Record<string, number>;
}

/** The fields of a lifecycle event the live flow counts (events carry no patient data: schemas/src/events.ts). */
export interface CountedEvent {
  type: string;
  kind?: string;
  sourceEndpoint?: string;
  endpoint?: string;
  stage?: string;
  translatedFrom?: string;
}

function emptySecond(t: number): FlowSecond {
  return {
    t,
    received: 0,
    delivered: 0,
    rejected: 0,
    deadLettered: 0,
    ackOverdue: 0,
    byKind: {},
    bySender: {},
    byReceiver: {},
  };
}

function bump(counts: Record<string, number>, key: string | undefined): void {
  if (key === undefined || key === "") return;
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * Per-second counts of the last `windowSeconds` (an hour by default) in a ring: bounded memory however busy the
 * hub, and a second with no traffic reads as zeros. Pure: the caller passes the time.
 */
export class FlowCounter {
  readonly #window: number;
  readonly #ring: Array<FlowSecond | undefined>;

  constructor(windowSeconds = 3_600) {
    this.#window = windowSeconds;
    this.#ring = new Array<FlowSecond | undefined>(windowSeconds);
  }

  count(event: CountedEvent, nowMs: number): void {
    const second = this.#secondAt(Math.floor(nowMs / 1000));
    // A routed message has no `received` event: its `routed` (or router `rejected`) counts it (marksArrival).
    if (marksArrival(event)) {
      second.received += 1;
      bump(second.byKind, event.kind);
      bump(second.bySender, event.sourceEndpoint);
    }
    switch (event.type) {
      case "delivered":
        second.delivered += 1;
        bump(second.byReceiver, event.endpoint);
        return;
      case "rejected":
        second.rejected += 1;
        return;
      case "dead-lettered":
        second.deadLettered += 1;
        return;
      case "ack-overdue":
        second.ackOverdue += 1;
        return;
      default:
        return;
    }
  }

  /** The seconds from `nowMs - seconds` up to and including the current one, oldest first, gaps as zeros. */
  series(nowMs: number, seconds = this.#window): FlowSecond[] {
    const now = Math.floor(nowMs / 1000);
    const span = Math.min(seconds, this.#window);
    const out: FlowSecond[] = [];
    for (let t = now - span + 1; t <= now; t++) {
      const kept = this.#ring[t % this.#window];
      out.push(kept !== undefined && kept.t === t ? kept : emptySecond(t));
    }
    return out;
  }

  #secondAt(t: number): FlowSecond {
    const slot = t % this.#window;
    const kept = this.#ring[slot];
    if (kept !== undefined && kept.t === t) return kept;
    const fresh = emptySecond(t);
    this.#ring[slot] = fresh;
    return fresh;
  }
}

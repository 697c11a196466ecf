// `carehub messages tail`: the EVENTS stream as it grows, one line per lifecycle event. Reads with an ordered
// (ephemeral) consumer that starts after the last event stored when the command began, so it leaves nothing behind
// on the server and a test knows exactly from when it follows. Prints a projection of each event: ids, kind,
// endpoints, attempt and error codes, never an error's free text (it may quote the message) nor a patient identifier.
import { type Bus, connectHubBus, isJetStreamNotFound } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import { type HubConfig, LifecycleEvent, type LifecycleEventType } from "@carehub/schemas";
import { DeliverPolicy } from "@nats-io/jetstream";
import { parseStreamJson } from "./cli-output.ts";

export interface TailFilter {
  kind?: string;
  /** The sending endpoint (the event's source endpoint). */
  sender?: string;
  /** A receiving endpoint: routed to it, delivered to it, acknowledged or overdue by it. */
  receiver?: string;
  /** The event type (`delivered`, `delivery-failed`, …): filtered on the server by subject. */
  status?: LifecycleEventType;
}

export interface TailLimits {
  /** Stop after this many printed events. */
  count?: number;
  /** Stop after this long. */
  forMs?: number;
}

/** What `messages tail` prints of one event (`--json`: this object, one per line). */
export interface TailLine {
  seq: number;
  at: string;
  type: LifecycleEventType;
  hubId: string;
  kind: string | null;
  sender: string | null;
  receivers: string[];
  attempt: number | null;
  /** An error, rejection or acknowledgement code; a business status for status events. */
  code: string | null;
}

/** The endpoints an event is about as receivers, and its code: one place that knows every event type. */
function detailsOf(event: LifecycleEvent): { receivers: string[]; attempt: number | null; code: string | null } {
  switch (event.type) {
    case "received":
    case "duplicate":
    case "replayed":
      return { receivers: [], attempt: null, code: null };
    case "rejected":
      return { receivers: [], attempt: null, code: event.issues[0]?.code ?? null };
    case "routed":
      return { receivers: event.receivers, attempt: null, code: null };
    case "translated":
      return { receivers: [event.endpoint], attempt: null, code: event.letterType };
    case "delivered":
      return { receivers: [event.endpoint], attempt: event.attempt, code: null };
    case "delivery-failed":
      return { receivers: [event.endpoint], attempt: event.attempt, code: event.error.code };
    case "dead-lettered":
      return {
        receivers: event.endpoint === undefined ? [] : [event.endpoint],
        attempt: null,
        code: event.reason.code,
      };
    case "acknowledged":
      return { receivers: [event.endpoint], attempt: null, code: event.code };
    case "ack-overdue":
      return { receivers: [event.endpoint], attempt: null, code: null };
    case "status-changed":
      return { receivers: [], attempt: null, code: `${event.subject.type}:${event.to}` };
    case "transition-refused":
      return { receivers: [], attempt: null, code: event.code ?? `${event.subject.type}:${event.to}` };
    case "unmatched-status":
    case "stale":
      return { receivers: [], attempt: null, code: `${event.subject.type}:${event.status}` };
  }
}

export function tailLineOf(seq: number, event: LifecycleEvent): TailLine {
  return {
    seq,
    at: event.at,
    type: event.type,
    hubId: event.hubId,
    kind: event.kind ?? null,
    sender: event.sourceEndpoint ?? null,
    ...detailsOf(event),
  };
}

export function matchesTail(line: TailLine, filter: Omit<TailFilter, "status">): boolean {
  if (filter.kind !== undefined && line.kind !== filter.kind) return false;
  if (filter.sender !== undefined && line.sender !== filter.sender) return false;
  // The event type (--status) is filtered on the server, by subject.
  return filter.receiver === undefined || line.receivers.includes(filter.receiver);
}

export function tailHumanLine(line: TailLine): string {
  return [
    line.at,
    line.type.padEnd(18),
    line.hubId,
    (line.kind ?? "-").padEnd(22),
    `${line.sender ?? "-"} -> ${line.receivers.join(",") || "-"}`,
    line.attempt === null ? "" : `attempt ${line.attempt}`,
    line.code ?? "",
  ]
    .join("  ")
    .trimEnd();
}

export interface TailIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  json: boolean;
  /** Aborted on SIGINT / SIGTERM: the tail stops and exits 0. */
  stopSignal: AbortSignal;
}

/** Follows EVENTS from now until the signal, the count or the duration; resolves with the number printed. */
export async function tailEvents(bus: Bus, filter: TailFilter, limits: TailLimits, io: TailIo): Promise<number> {
  const stream = bus.topology.streams.events;
  const startSeq = (await bus.jsm.streams.info(stream)).state.last_seq + 1;
  const consumer = await bus.js.consumers.get(stream, {
    filter_subjects:
      filter.status === undefined ? bus.topology.subjects.all.events : bus.topology.subjects.events(filter.status),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: startSeq,
  });
  const messages = await consumer.consume({ max_messages: 100 });
  const stop = (): void => void messages.close();
  io.stopSignal.addEventListener("abort", stop, { once: true });
  if (io.stopSignal.aborted) stop();
  const timer = limits.forMs === undefined ? undefined : setTimeout(stop, limits.forMs);
  io.stderr.write(`carehub messages tail: following lifecycle events from sequence ${startSeq}\n`);
  let printed = 0;
  try {
    for await (const msg of messages) {
      const event = LifecycleEvent.safeParse(parseStreamJson(msg.data));
      if (!event.success) {
        io.stderr.write(`carehub messages tail: event ${msg.seq} is not a lifecycle event; skipped\n`);
        continue;
      }
      const line = tailLineOf(msg.seq, event.data);
      if (!matchesTail(line, filter)) continue;
      io.stdout.write(`${io.json ? JSON.stringify(line) : tailHumanLine(line)}\n`);
      printed++;
      if (limits.count !== undefined && printed >= limits.count) break;
    }
  } finally {
    clearTimeout(timer);
    io.stopSignal.removeEventListener("abort", stop);
    await messages.close();
  }
  return printed;
}

/** `carehub messages tail`: connects as the hub (NATS), follows, and reports the count on stderr. */
export async function runMessagesTail(
  filter: TailFilter,
  limits: TailLimits,
  config: HubConfig,
  logger: Logger,
  io: TailIo,
): Promise<number> {
  const bus = await connectHubBus(config, { name: "carehub-tail", logger, provision: false });
  try {
    const printed = await tailEvents(bus, filter, limits, io);
    io.stderr.write(`carehub messages tail: ${printed} event(s)\n`);
    return 0;
  } catch (error) {
    if (!isJetStreamNotFound(error, "stream")) throw error;
    io.stderr.write(
      `carehub messages tail: namespace ${config.namespace} has no EVENTS stream; run carehub provision (or start the hub) first\n`,
    );
    return 1;
  } finally {
    await bus.drain();
  }
}

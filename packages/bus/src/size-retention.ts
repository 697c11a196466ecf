import { AckPolicy, type JetStreamManager } from "@nats-io/jetstream";
import type { StreamRole, Topology } from "./topology.ts";

/** The streams a size budget (HubConfig `streamMaxBytes`, CAREHUB_STREAM_MAX_BYTES) bounds: every one that holds messages. */
export const SIZE_BOUNDED_ROLES: readonly StreamRole[] = ["ingress", "pipeline", "outbox", "events", "dlq", "inbox"];

/** Purges per stream in one pass at most; what is left over waits for the next pass. */
const MAX_PURGES_PER_PASS = 20;

/** What one pass did to one stream. */
export interface StreamTrim {
  role: StreamRole;
  stream: string;
  /** Messages purged in this pass. */
  purged: number;
  /** Bytes the stream holds after the pass. */
  bytes: number;
  /** Bytes over the budget that could not be purged because a consumer has not processed them (0: budget met). */
  overBudgetBytes: number;
  /** When the newest purged message was stored (ms since the epoch); undefined when nothing was purged. */
  lastPurgedAt?: number;
}

/**
 * One pass of size-based retention (docs/decisions/0074): each stream of `roles` holding more than `maxBytes`
 * loses its oldest messages until it fits — but never one that a consumer of the stream has not acknowledged:
 * the purge stops at the lowest ack floor of the stream's consumers (a consumer with nothing pending has
 * processed the whole stream). A stream without consumers (the DLQ: dead letters wait for an operator) is never
 * purged. Unlike JetStream's `max_bytes` with `discard: old`, nothing unprocessed is ever dropped; what cannot
 * go is reported as `overBudgetBytes`. The purge goes in steps of the stream's average message size, so it may
 * take a few messages more than the exact budget needs.
 */
export async function trimStreamsToBudget(
  bus: { jsm: JetStreamManager; topology: Topology },
  maxBytes: number,
  roles: readonly StreamRole[] = SIZE_BOUNDED_ROLES,
): Promise<StreamTrim[]> {
  const trims: StreamTrim[] = [];
  if (maxBytes <= 0) return trims;
  for (const role of roles) {
    const stream = bus.topology.streams[role];
    trims.push({ role, stream, ...(await trimStream(bus.jsm, stream, maxBytes)) });
  }
  return trims;
}

async function trimStream(
  jsm: JetStreamManager,
  stream: string,
  maxBytes: number,
): Promise<Omit<StreamTrim, "role" | "stream">> {
  let { state } = await jsm.streams.info(stream);
  if (state.bytes <= maxBytes) return { purged: 0, bytes: state.bytes, overBudgetBytes: 0 };
  // Read after the stream's state: a consumer with nothing pending now has processed up to last_seq at least.
  const processedTo = await lowestAckFloor(jsm, stream, state.last_seq);
  let purged = 0;
  let lastPurgedAt: number | undefined;
  for (let pass = 0; pass < MAX_PURGES_PER_PASS && state.bytes > maxBytes && state.messages > 0; pass++) {
    if (state.first_seq > processedTo) break;
    const average = state.bytes / state.messages;
    const wanted = Math.max(1, Math.ceil((state.bytes - maxBytes) / average));
    // `purge({ seq })` removes every message below `seq`: at most up to the floor, inclusive.
    const upTo = Math.min(state.first_seq + wanted, processedTo + 1);
    const storedAt = await storedAtOrBefore(jsm, stream, upTo - 1, state.first_seq);
    const result = await jsm.streams.purge(stream, { seq: upTo });
    purged += result.purged;
    if (storedAt !== undefined) lastPurgedAt = Math.max(lastPurgedAt ?? 0, storedAt);
    ({ state } = await jsm.streams.info(stream));
  }
  return {
    purged,
    bytes: state.bytes,
    overBudgetBytes: Math.max(0, state.bytes - maxBytes),
    ...(lastPurgedAt === undefined ? {} : { lastPurgedAt }),
  };
}

/**
 * The highest stream sequence every consumer of `stream` that acknowledges has acknowledged; 0 when it has none.
 * Readers that acknowledge nothing (ordered consumers: a rebuild, `carehub dlq list`, the claim-check sweep)
 * process nothing, so they hold nothing back — a reader past a purge just goes on with the next message.
 */
async function lowestAckFloor(jsm: JetStreamManager, stream: string, lastSeq: number): Promise<number> {
  let floor: number | undefined;
  // Every page of the listing: a consumer missed would be a consumer whose unprocessed messages could go.
  for await (const info of jsm.consumers.list(stream)) {
    if (info.config.ack_policy === AckPolicy.None) continue;
    const caughtUp = info.num_pending === 0 && info.num_ack_pending === 0;
    floor = Math.min(floor ?? lastSeq, caughtUp ? lastSeq : info.ack_floor.stream_seq);
  }
  return floor ?? 0;
}

/** When the message at `seq` (or, if that one was deleted, the nearest one below it) was stored. */
async function storedAtOrBefore(
  jsm: JetStreamManager,
  stream: string,
  seq: number,
  firstSeq: number,
): Promise<number | undefined> {
  for (let s = seq; s >= Math.max(firstSeq, seq - 100); s--) {
    const message = await jsm.streams.getMessage(stream, { seq: s }).catch(() => null);
    if (message !== null) return message.time.getTime();
  }
  return undefined;
}

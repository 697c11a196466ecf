import type { MessageKind, MessagePage, MessageStatusFilter, MessageSummary } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { indexSizes, nextPositions, type Position } from "./bucketed-index.ts";

export type { Position };

import { hubIdOfMember, indexMember } from "./index-member.ts";
import type { StoreKeys } from "./keys.ts";
import { decodeMessage, toSummary } from "./message-codec.ts";
import { InvalidCursorError, InvalidQueryError } from "./store-errors.ts";

export interface ListMessagesQuery {
  sender?: string;
  receiver?: string;
  kind?: MessageKind;
  status?: MessageStatusFilter;
  /** Receive-time bounds, inclusive (ISO-8601 or epoch ms). */
  from?: string | number;
  to?: string | number;
  /** Only messages about this patient: the read model's keyed hash (ReadModelStore.patientHash), never a CPR. */
  patientHash?: string;
  cursor?: string;
  limit?: number;
}

/** Stop scanning after this many candidates even if the page is not full (the next cursor continues). */
const MAX_SCANNED = 5_000;

/**
 * Newest first, by receive time. Each filter is an index (bucketed: bucketed-index.ts); the smallest one drives the
 * scan and the others are checked in the same script call per batch, so a page costs O(log n + scanned) whatever the
 * depth of the cursor. The cursor is the (score, index member) of the last item returned; items with the same
 * score are ordered by member, descending, as ZRANGE … REV returns them.
 */
export async function listMessages(redis: Redis, keys: StoreKeys, query: ListMessagesQuery): Promise<MessagePage> {
  const limit = Math.max(1, Math.min(query.limit ?? 50, 500));
  const filterKeys: string[] = [];
  if (query.sender !== undefined && query.receiver !== undefined) {
    // One index instead of intersecting two: at 1M messages sender ∩ receiver is ~1/400 of the sender's
    // index, which would fill a page only after scanning far past MAX_SCANNED (docs/performance.md).
    filterKeys.push(keys.bySenderReceiver(query.sender, query.receiver));
  } else {
    if (query.sender !== undefined) filterKeys.push(keys.bySender(query.sender));
    if (query.receiver !== undefined) filterKeys.push(keys.byReceiver(query.receiver));
  }
  if (query.kind !== undefined) filterKeys.push(keys.byKind(query.kind));
  if (query.status !== undefined) filterKeys.push(keys.byStatus(query.status));
  // No filter: every message is in exactly one status index, so their union is the listing (decision 0080). A
  // patient's few messages drive: its index in both forms (0104; a record is filed under one of them).
  const driving =
    query.patientHash !== undefined
      ? keys.patientIndexes(query.patientHash)
      : filterKeys.length === 0
        ? keys.everyMessage
        : [await smallest(redis, filterKeys)];
  const others = filterKeys.filter((k) => !driving.includes(k));
  const min = query.from === undefined ? Number.NEGATIVE_INFINITY : toMs(query.from);
  let max = query.to === undefined ? Number.POSITIVE_INFINITY : toMs(query.to);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (after !== undefined) max = Math.min(max, after.score);

  const picked: Position[] = [];
  let last: Position | undefined = after;
  let scanned = 0;
  let exhausted = false;
  // With nothing to check, every position read is listed: read no more than a page (from each status index, when
  // the listing is their union). With checks, read ahead, since some are dropped.
  const batchSize = others.length === 0 ? limit : Math.min(Math.max(limit * 2, 64), 1_000);
  while (picked.length < limit && scanned < MAX_SCANNED) {
    // One script call: the union's next positions and, for each, whether the other filters' indexes hold it.
    const { batch, kept } = await nextPositions(redis, driving, others, last, max, min, batchSize);
    if (batch.length === 0) {
      exhausted = true;
      break;
    }
    scanned += batch.length;
    for (const [i, position] of batch.entries()) {
      if (!kept[i]) continue;
      picked.push(position);
      if (picked.length === limit) break;
    }
    last = picked.length === limit ? (picked[picked.length - 1] as Position) : (batch[batch.length - 1] as Position);
    if (batch.length < batchSize && picked.length < limit) {
      exhausted = true;
      break;
    }
  }
  const items = await loadSummaries(
    redis,
    keys,
    picked.map((p) => p.member),
  );
  const nextCursor =
    exhausted || last === undefined || (picked.length === 0 && last === after) ? null : encodeCursor(last);
  return { items, nextCursor };
}

/**
 * The next positions of the union of `keys` (indexes no member is in twice: bucketed-index.ts) after `last`, newest
 * first: each index's next `count`, merged in listing order (score, then member, descending) and cut to `count`.
 */
export async function nextBatchOfUnion(
  redis: Redis,
  keys: readonly string[],
  last: Position | undefined,
  max: number,
  min: number,
  count: number,
): Promise<Position[]> {
  return (await nextPositions(redis, keys, [], last, max, min, count)).batch;
}

/** The index with the fewest entries (the listing's driving index). */
async function smallest(redis: Redis, keys: readonly string[]): Promise<string> {
  if (keys.length === 1) return keys[0] as string;
  const sizes = await indexSizes(redis, keys);
  let best = 0;
  for (let i = 1; i < sizes.length; i++) if ((sizes[i] ?? 0) < (sizes[best] ?? 0)) best = i;
  return keys[best] as string;
}

/** The summaries of the messages an index names (its members: index-member.ts), skipping expired records. */
export async function loadSummaries(
  redis: Redis,
  keys: StoreKeys,
  members: readonly string[],
): Promise<MessageSummary[]> {
  if (members.length === 0) return [];
  const hubIds = members.map(hubIdOfMember);
  const texts = await redis.mget(hubIds.map((id) => keys.message(id)));
  const out: MessageSummary[] = [];
  hubIds.forEach((hubId, i) => {
    const text = texts[i];
    // A record can expire a moment before the sweeper removes its index entries: skip it.
    if (text !== null && text !== undefined) out.push(toSummary(decodeMessage(hubId, text)));
  });
  return out;
}

function toMs(value: string | number): number {
  const ms = typeof value === "number" ? value : Date.parse(value);
  // The value is not repeated: it is the caller's, and the message may reach an answer.
  if (Number.isNaN(ms)) throw new InvalidQueryError("a listing bound is not a time");
  return ms;
}

/** The cursor that continues a listing just after (older than) the message `hubId` received at `receivedAtMs`. */
export function listCursorAt(receivedAtMs: number, hubId: string): string {
  return encodeCursor({ score: receivedAtMs, member: indexMember(hubId) });
}

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.score}:${position.member}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): Position {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const colon = text.indexOf(":");
  const score = Number(text.slice(0, colon));
  if (colon <= 0 || !Number.isFinite(score) || colon === text.length - 1) throw new InvalidCursorError();
  return { score, member: text.slice(colon + 1) };
}

import type { MessageKind, MessagePage, MessageStatusFilter, MessageSummary } from "@carehub/schemas";
import type { Redis } from "ioredis";
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

export interface Position {
  score: number;
  member: string;
}

/** Stop scanning after this many candidates even if the page is not full (the next cursor continues). */
const MAX_SCANNED = 5_000;

/**
 * Newest first, by receive time. Each filter is an index (a sorted set); the smallest one drives the scan
 * and the others are checked with one ZMSCORE per batch, so a page costs O(log n + scanned) whatever the
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
  if (query.patientHash !== undefined) filterKeys.push(keys.byPatient(query.patientHash));
  // No filter: every message is in exactly one status index, so their union is the listing (decision 0080).
  const driving = filterKeys.length === 0 ? keys.everyMessage : [await smallest(redis, filterKeys)];
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
    const batch = await nextBatchOfUnion(redis, driving, last, max, min, batchSize);
    if (batch.length === 0) {
      exhausted = true;
      break;
    }
    scanned += batch.length;
    const kept = await keepMembersOfAll(redis, others, batch);
    for (const position of kept) {
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
 * The next positions of the union of `keys` (sets no member is in twice) after `last`, newest first: each key's
 * next `count`, merged in listing order (score, then member, descending) and cut to `count`.
 */
export async function nextBatchOfUnion(
  redis: Redis,
  keys: readonly string[],
  last: Position | undefined,
  max: number,
  min: number,
  count: number,
): Promise<Position[]> {
  if (keys.length === 1) return nextBatch(redis, keys[0] as string, last, max, min, count);
  const batches = await Promise.all(keys.map((key) => nextBatch(redis, key, last, max, min, count)));
  return batches
    .flat()
    .sort((a, b) => b.score - a.score || (a.member < b.member ? 1 : a.member > b.member ? -1 : 0))
    .slice(0, count);
}

/**
 * The next positions after `last` (exclusive) with score in [min, max], newest first. Positions sharing
 * `last`'s score are read in full first (usually one or two), then the scan continues strictly below it.
 */
async function nextBatch(
  redis: Redis,
  key: string,
  last: Position | undefined,
  max: number,
  min: number,
  count: number,
): Promise<Position[]> {
  const out: Position[] = [];
  let upper = bound(max);
  if (last !== undefined) {
    if (last.score < min) return out;
    const same = await redis.zrange(key, last.score, last.score, "BYSCORE");
    const before = same
      .filter((m) => m < last.member)
      .sort()
      .reverse();
    for (const member of before.slice(0, count)) out.push({ score: last.score, member });
    if (before.length >= count) return out;
    upper = `(${last.score}`;
  }
  const raw = await redis.zrange(
    key,
    upper,
    bound(min),
    "BYSCORE",
    "REV",
    "LIMIT",
    0,
    count - out.length,
    "WITHSCORES",
  );
  for (let i = 0; i + 1 < raw.length; i += 2) out.push({ member: raw[i] as string, score: Number(raw[i + 1]) });
  return out;
}

async function keepMembersOfAll(redis: Redis, others: readonly string[], batch: Position[]): Promise<Position[]> {
  if (others.length === 0) return batch;
  const members = batch.map((p) => p.member);
  const pipeline = redis.pipeline();
  for (const key of others) pipeline.zmscore(key, members);
  const results = (await pipeline.exec()) ?? [];
  return batch.filter((_, i) =>
    results.every(([error, scores]) => error === null && (scores as (string | null)[])[i] !== null),
  );
}

async function smallest(redis: Redis, keys: readonly string[]): Promise<string> {
  if (keys.length === 1) return keys[0] as string;
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.zcard(key);
  const sizes = ((await pipeline.exec()) ?? []).map(([, n]) => Number(n ?? 0));
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

function bound(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+inf";
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  return String(value);
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

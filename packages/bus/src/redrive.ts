import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import { type PayloadAtRest, readStoredPayload } from "./claim-check.ts";
import { directGet } from "./direct-get.ts";
import { BusRedriveError } from "./errors.ts";
import { DLQ_REASON_HEADERS, HEADER, headersToRecord, isControlHeader, parseHeaderBlock } from "./headers.ts";
import type { PublishOptions, PublishResult } from "./publisher.ts";

/** A message read back from a stream by sequence. */
export interface StoredMessage {
  subject: string;
  seq: number;
  data: Uint8Array;
  headers: Record<string, string>;
  time: Date;
}

export interface RedriveOptions {
  /** Only dead letters for which this returns true are moved back. */
  filter?: (message: StoredMessage) => boolean;
  /** At most this many are moved back (default: all). */
  limit?: number;
  /** Called after each dead letter looked at: how many were looked at and moved back, of the stage's total. */
  onProgress?: (progress: RedriveProgress) => void;
  /**
   * Awaited for each chosen dead letter just before it is put back, so what it records (the `replayed` event)
   * comes before anything the re-driven message causes downstream. A throw stops the redrive; that one stays.
   */
  beforeRedrive?: (message: StoredMessage) => Promise<void>;
}

export interface RedriveProgress {
  examined: number;
  redriven: number;
  /** Dead letters of the stage when the redrive began (some may not match the filter). */
  total: number;
}

interface RedriveDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  dlqStream: string;
  dlqSubject: string;
  publish(subject: string, data: Uint8Array, options: PublishOptions): Promise<PublishResult>;
}

/** A STREAM.MSG.GET answer as the client keeps it (`StoredMsgImpl.smr`): payload and header block in base64. */
interface RawStoredMsg {
  smr?: { message?: { data?: unknown; hdrs?: unknown } };
}

const EMPTY = new Uint8Array(0);

/** Decoded natively; a plain Uint8Array view (not a Buffer, whose `slice` does not copy). */
function fromBase64(value: string): Uint8Array {
  const buffer = Buffer.from(value, "base64");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function toStored(msg: {
  subject: string;
  seq: number;
  data: Uint8Array;
  header: MsgHdrs | undefined;
  time: Date;
}): StoredMessage {
  // The client's own `data` and `header` getters decode the base64 with atob and a loop over every byte, again on
  // each read: for a 2.7 KB letter that was most of the router's cost of reading the payload (docs/decisions/0094).
  const raw = (msg as RawStoredMsg).smr?.message;
  if (raw !== undefined && (raw.data === undefined || typeof raw.data === "string")) {
    // The header block read as a direct get's and a delivery's are (parseHeaderBlock), so the paths agree on odd lines.
    const headers =
      typeof raw.hdrs === "string" && raw.hdrs !== ""
        ? parseHeaderBlock(Buffer.from(raw.hdrs, "base64").toString())
        : {};
    const data = raw.data === undefined || raw.data === "" ? EMPTY : fromBase64(raw.data);
    return { subject: msg.subject, seq: msg.seq, data, headers, time: msg.time };
  }
  return { subject: msg.subject, seq: msg.seq, data: msg.data, headers: headersToRecord(msg.header), time: msg.time };
}

/** How `readMessage` asks: by direct get when the stream answers them, and what to do when one fails. */
export interface ReadOptions {
  /**
   * The connection to ask by direct get when the stream allows them (its config's `allow_direct`; topology.ts turns it
   * on for INGRESS and OUTBOX); undefined when it does not.
   */
  direct: NatsConnection | undefined;
  /** Called when a direct get failed (the message was then read through the stream API): the caller re-checks. */
  onDirectFailed?: () => void;
}

/**
 * One stored message by sequence, as stored. By direct get where the stream allows it: the server sends the message
 * as it is, where the stream API wraps it in JSON with the payload in base64, about twice the CPU on both sides
 * (docs/decisions/0094). On a cluster any replica may answer a direct get, and one that has not yet applied the
 * message says it has none: so every "none", and every failure, is asked again of the stream's leader through the
 * stream API, which alone is authoritative. (A stream without `allow_direct` does not refuse a direct get, it
 * leaves it unanswered until the request times out: hence the caller says which streams allow them.)
 */
async function storedBySeq(
  jsm: JetStreamManager,
  stream: string,
  seq: number,
  options: ReadOptions | undefined,
): Promise<StoredMessage | null> {
  if (options?.direct !== undefined) {
    try {
      const direct = await directGet(options.direct, stream, seq);
      if (direct !== null) return direct;
    } catch {
      // Answered below by the stream's leader, whose error (if any) is the one that counts.
      options.onDirectFailed?.();
    }
  }
  const msg = await jsm.streams.getMessage(stream, { seq });
  return msg === null ? null : toStored(msg);
}

/**
 * One stored message by sequence, its payload as sent: fetched from the claim check, opened when sealed, read from
 * INGRESS when an OUTBOX entry went by reference (`Carehub-Claim-Check`, `Carehub-Payload-Key` and the followed
 * `Carehub-Payload-Ref` are then left out of its headers: what is published again from it stores its bytes). Redrive reads the DLQ as stored
 * instead: it moves sealed bytes and claim checks back as they are.
 */
export async function readMessage(
  jsm: JetStreamManager,
  stream: string,
  seq: number,
  atRest: PayloadAtRest = { cipher: undefined, claimCheck: undefined },
  options?: ReadOptions,
): Promise<StoredMessage | null> {
  const stored = await storedBySeq(jsm, stream, seq, options);
  if (stored === null) return null;
  const header = (name: string) => stored.headers[name];
  // A reference is followed (and then left out) on OUTBOX alone; elsewhere the header stays, the bytes are its own.
  const referenced =
    stored.headers[HEADER.payloadRef] !== undefined && atRest.references?.follows(stream, header) === true;
  if (
    stored.headers[HEADER.payloadKey] === undefined &&
    stored.headers[HEADER.claimCheck] === undefined &&
    !referenced
  ) {
    return stored;
  }
  const { [HEADER.payloadKey]: _sealedWith, [HEADER.claimCheck]: _claimed, ...rest } = stored.headers;
  const { [HEADER.payloadRef]: _referenced, ...withoutReference } = rest;
  const data = await readStoredPayload(atRest, stored.data, header, stream);
  return { ...stored, data, headers: referenced ? withoutReference : rest };
}

/** Headers for putting a dead letter back: its original headers, without the DLQ reasons, one redrive more. */
export function redriveHeaders(dead: StoredMessage): { headers: Record<string, string>; msgId: string; count: number } {
  const headers: Record<string, string> = {};
  const reasons = new Set(DLQ_REASON_HEADERS.map((h) => h.toLowerCase()));
  for (const [key, value] of Object.entries(dead.headers)) {
    if (isControlHeader(key) || reasons.has(key.toLowerCase())) continue;
    headers[key] = value;
  }
  const count = Number.parseInt(dead.headers[HEADER.redriveCount] ?? "0", 10) + 1;
  headers[HEADER.redriveCount] = String(count);
  const base =
    dead.headers[HEADER.originalMsgId] ??
    `${dead.headers[HEADER.originalStream] ?? "unknown"}:${dead.headers[HEADER.originalSeq] ?? dead.seq}`;
  // Redrive count and DLQ sequence keep the id unique even if the same message is redriven twice in the window.
  return { headers, msgId: `${base}:redrive-${count}:${dead.seq}`, count };
}

/**
 * Republishes DLQ entries of one stage to their original subject, then deletes them from the DLQ.
 * An entry is deleted only after its republish was acknowledged, so a crash in between leaves it in
 * the DLQ (at worst redriven twice, the dedup id making the repeat a duplicate).
 */
export async function redriveDeadLetters(
  deps: RedriveDeps,
  options: RedriveOptions = {},
): Promise<{ redriven: number }> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let redriven = 0;
  let examined = 0;
  let seq = 1;
  const total = options.onProgress === undefined ? 0 : await deadLettersOn(deps);
  while (redriven < limit) {
    const found = await deps.jsm.streams.getMessage(deps.dlqStream, {
      next_by_subj: deps.dlqSubject,
      seq,
    } as unknown as { seq: number });
    if (found === null) break;
    const dead = toStored(found);
    seq = dead.seq + 1;
    examined++;
    if (options.filter !== undefined && !options.filter(dead)) {
      options.onProgress?.({ examined, redriven, total });
      continue;
    }
    const target = dead.headers[HEADER.originalSubject];
    if (target === undefined) {
      throw new BusRedriveError(`dead letter ${deps.dlqStream}#${dead.seq} has no ${HEADER.originalSubject} header`);
    }
    await options.beforeRedrive?.(dead);
    const { headers, msgId } = redriveHeaders(dead);
    await deps.publish(target, dead.data, {
      msgId,
      headers,
      contentType: headers[HEADER.contentType] ?? "application/octet-stream",
    });
    try {
      await deps.jsm.streams.deleteMessage(deps.dlqStream, dead.seq, false);
    } catch (error) {
      throw new BusRedriveError(`redriven ${deps.dlqStream}#${dead.seq} but could not remove it from the DLQ`, {
        cause: error,
      });
    }
    redriven++;
    options.onProgress?.({ examined, redriven, total });
  }
  return { redriven };
}

/** How many messages the DLQ holds on the stage's subject (the stream's per-subject count). */
async function deadLettersOn(deps: RedriveDeps): Promise<number> {
  const info = await deps.jsm.streams.info(deps.dlqStream, { subjects_filter: deps.dlqSubject });
  return info.state.subjects?.[deps.dlqSubject] ?? 0;
}

import { type MsgHdrs, headers as natsHeaders } from "@nats-io/nats-core";

/** Header names carehub sets (docs/contracts.md "Headers"). */
export const HEADER = Object.freeze({
  msgId: "Nats-Msg-Id",
  schemaVersion: "Carehub-Schema-Version",
  contentType: "Content-Type",
  traceparent: "traceparent",
  tracestate: "tracestate",
  hubId: "Carehub-Hub-Id",
  kind: "Carehub-Kind",
  errorCode: "Carehub-Error-Code",
  errorMessage: "Carehub-Error-Message",
  stage: "Carehub-Stage",
  attempts: "Carehub-Attempts",
  originalSubject: "Carehub-Original-Subject",
  originalStream: "Carehub-Original-Stream",
  originalSeq: "Carehub-Original-Seq",
  originalMsgId: "Carehub-Original-Msg-Id",
  redriveCount: "Carehub-Redrive-Count",
  /** The id of the key that sealed the payload (docs/operations.md, "Payload encryption"); absent: not sealed. */
  payloadKey: "Carehub-Payload-Key",
  /**
   * The object (in the `<NS>_PAYLOADS` bucket) that holds the payload of a message too large for a NATS message;
   * the message itself is then empty (docs/contracts.md "Claim check"). Absent: the payload is the message's own.
   */
  claimCheck: "Carehub-Claim-Check",
  /**
   * (docs/decisions/0109) On OUTBOX: the payload is the INGRESS copy of the message, not the message's own bytes
   * (it is empty): `<stream>:<seq>:<size>:<sha256>` (payload-reference.ts). Absent: the payload is the message's own.
   */
  payloadRef: "Carehub-Payload-Ref",
  /**
   * On INBOX: `<n>/<count>` when a message too large for one NATS message is delivered as `count` parts
   * (docs/decisions/0062); the SDK joins them.
   */
  chunk: "Carehub-Chunk",
});

export const SCHEMA_VERSION = "1";

/** MsgHdrs → a plain record (first value of each header; carehub never repeats a header). */
export function headersToRecord(hdrs: MsgHdrs | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (hdrs === undefined) return record;
  for (const [key, values] of hdrs) {
    const first = values[0];
    if (first !== undefined) record[key] = first;
  }
  return record;
}

const decoder = new TextDecoder();

/** What a received message holds underneath (nats-core's MsgImpl): its bytes and the length of its header block. */
interface RawReceived {
  msg?: { _rdata?: unknown; _msg?: { hdr?: unknown } };
}

/**
 * The headers of a message a consumer received, as a record (first value of each, as headersToRecord), read straight
 * from the message's header block: nats-core would first build its MsgHdrs (a Map of arrays, each name and value
 * checked as if it were being set) for the bus to copy into a record at once (docs/decisions/0094). Falls back to
 * the client's headers if this client version keeps the bytes elsewhere.
 */
export function receivedHeaders(msg: { headers: MsgHdrs | undefined }): Record<string, string> {
  const raw = (msg as RawReceived).msg;
  const data = raw?._rdata;
  const length = raw?._msg?.hdr;
  if (!(data instanceof Uint8Array) || typeof length !== "number") return headersToRecord(msg.headers);
  if (length <= 0) return {};
  return parseHeaderBlock(decoder.decode(data.subarray(0, length)));
}

/**
 * `NATS/1.0[ status]\r\n` then `Name: value\r\n` lines, as nats-core's MsgHdrsImpl.decode reads them: the name
 * as written up to the first colon, the value trimmed, lines without a colon skipped; the first value of a repeated
 * name is kept.
 */
export function parseHeaderBlock(text: string): Record<string, string> {
  const record: Record<string, string> = {};
  let start = text.indexOf("\r\n");
  if (start < 0) return record;
  start += 2;
  while (start < text.length) {
    let end = text.indexOf("\r\n", start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(":", start);
    if (colon >= 0 && colon < end) {
      const key = text.slice(start, colon);
      if (!Object.hasOwn(record, key)) record[key] = text.slice(colon + 1, end).trim();
    }
    start = end + 2;
  }
  return record;
}

/** A plain record → MsgHdrs. Header values may not hold line breaks, so they are flattened. */
export function recordToHeaders(record: Record<string, string>, into: MsgHdrs = natsHeaders()): MsgHdrs {
  for (const key in record) {
    const value = record[key];
    if (value !== undefined) into.set(key, value.includes("\n") || value.includes("\r") ? flatten(value) : value);
  }
  return into;
}

function flatten(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}

/** Headers the dead-letter and redrive paths must not copy (JetStream's own control headers and DLQ reasons). */
export function isControlHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith("nats-");
}

export const DLQ_REASON_HEADERS: readonly string[] = [
  HEADER.errorCode,
  HEADER.errorMessage,
  HEADER.stage,
  HEADER.attempts,
  HEADER.originalSubject,
  HEADER.originalStream,
  HEADER.originalSeq,
  HEADER.originalMsgId,
];

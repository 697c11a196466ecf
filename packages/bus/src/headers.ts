import { InvalidArgumentError, type MsgHdrs, MsgHdrsImpl } from "@nats-io/nats-core";

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
  if (raw === undefined) return headersToRecord(msg.headers);
  const text = headerBlock(raw);
  if (text === undefined) return headersToRecord(msg.headers);
  return text === "" ? {} : parseHeaderBlock(text);
}

/**
 * A received message's header block as text, read from nats-core's MsgImpl (its bytes and the length of the block):
 * "" when it has none, undefined when this client version keeps the bytes elsewhere.
 */
export function headerBlock(msg: object): string | undefined {
  const raw = msg as NonNullable<RawReceived["msg"]>;
  const data = raw._rdata;
  const length = raw._msg?.hdr;
  if (!(data instanceof Uint8Array) || typeof length !== "number") return undefined;
  return length <= 0 ? "" : decoder.decode(data.subarray(0, length));
}

/**
 * `NATS/1.0[ status]\r\n` then `Name: value\r\n` lines, as nats-core's MsgHdrsImpl.decode reads them: the name
 * as written up to the first colon, the value trimmed, lines without a colon skipped; the first value of a repeated
 * name is kept. A name in `aside.names` (exactly as written) is left out of the record and its last value put in
 * `aside.last` instead: a direct get's answer, where the server appends its own headers after the message's, is
 * read in this one pass.
 */
export function parseHeaderBlock(
  text: string,
  aside?: { names: ReadonlySet<string>; last: Record<string, string> },
): Record<string, string> {
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
      if (aside?.names.has(key)) aside.last[key] = text.slice(colon + 1, end).trim();
      else if (!Object.hasOwn(record, key)) record[key] = text.slice(colon + 1, end).trim();
    }
    start = end + 2;
  }
  return record;
}

/**
 * A plain record into a publish's headers, stored as nats-core's `set` stores them: each name checked by its rule
 * (printable ASCII, no colon; its error), each value trimmed, a name already there replaced and moved to the end (the
 * same encoded block as `set`'s). Header values may not hold line breaks, so they are flattened. Written into the
 * header map directly: `set` deleted and looked the name up and tested the value against a regular expression each
 * time, on every header of every publish (decision 0127).
 */
export function recordToHeaders(record: Record<string, string>, into: MsgHdrsImpl = new MsgHdrsImpl()): MsgHdrsImpl {
  for (const key in record) {
    const value = record[key];
    if (value === undefined) continue;
    checkHeaderName(key);
    // Deleted first, as `set` did: a replaced header moves to the end, so the block on the wire is the same bytes.
    into.headers.delete(key);
    into.headers.set(key, [(value.includes("\n") || value.includes("\r") ? flatten(value) : value).trim()]);
  }
  return into;
}

/** nats-core's rule for a header name (`canonicalMIMEHeaderKey`'s check), with its error. */
function checkHeaderName(name: string): void {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 58 || c < 33 || c > 126) {
      throw InvalidArgumentError.format("header", `'${name[i]}' is not a valid character in a header name`);
    }
  }
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

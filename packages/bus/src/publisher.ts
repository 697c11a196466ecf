import { injectTraceContext, recordError, SpanKind, tracer } from "@carehub/observability";
import { JetStreamApiError } from "@nats-io/jetstream";
import { MsgHdrsImpl, type NatsConnection } from "@nats-io/nats-core";
import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import type { PayloadAtRest } from "./claim-check.ts";
import { BusPublishError, BusPublishRejectedError } from "./errors.ts";
import { HEADER, recordToHeaders, SCHEMA_VERSION } from "./headers.ts";
import { PublishAcks } from "./publish-acks.ts";

export interface PublishOptions {
  /** Deterministic dedup id (docs/contracts.md "Dedup ids"), sent as `Nats-Msg-Id`. */
  msgId: string;
  headers?: Record<string, string>;
  /** Default `application/octet-stream` for bytes, `text/plain` for strings (overridden by headers["Content-Type"]). */
  contentType?: string;
  /** Refuse the publish unless the subject is stored by this stream. */
  expectStream?: string;
  /**
   * How long to wait for JetStream's ack, default 10 s; 0 or less means 5 s, as js.publish took it (checked every
   * 250 ms: publish-acks.ts).
   */
  timeoutMs?: number;
}

export interface PublishResult {
  stream: string;
  seq: number;
  /** True when a message with the same dedup id was already stored inside the duplicate window. */
  duplicate: boolean;
}

const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
const EXPECTED_STREAM = "Nats-Expected-Stream";
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** A dedup id goes into a header line: it may not be empty or hold a line break. */
function validDedupId(subject: string, value: string): string {
  if (value === "" || value.includes("\n") || value.includes("\r")) {
    throw new BusPublishRejectedError(subject, `invalid dedup id ${JSON.stringify(value)}: empty or with a line break`);
  }
  return value;
}

/** `<role> publish` from the second subject token (`ingress`, `outbox` …): bounded, no endpoint id in it. */
function spanName(subject: string): string {
  const first = subject.indexOf(".");
  if (first < 0) return `${subject} publish`;
  const second = subject.indexOf(".", first + 1);
  const role = second < 0 ? subject.slice(first + 1) : subject.slice(first + 1, second);
  return SPAN_NAMES[role] ?? `${role} publish`;
}

const SPAN_NAMES: Record<string, string> = Object.fromEntries(
  ["ingress", "pipeline", "outbox", "events", "dlq", "inbox", "status"].map((role) => [role, `${role} publish`]),
);

// JetStream answered with an API error about this message (too big, wrong stream): retrying cannot help.
// Status 503 is "JetStream temporarily unavailable" and is worth retrying.
function classify(subject: string, error: unknown): Error {
  if (error instanceof JetStreamApiError && error.status !== 503) {
    return new BusPublishRejectedError(subject, `JetStream refused the message on ${subject}: ${error.message}`, {
      cause: error,
    });
  }
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new BusPublishError(subject, `publish to ${subject} not confirmed: ${reason}`, { cause: error });
}

/**
 * Publishes with carehub's headers (Nats-Msg-Id, Carehub-Schema-Version, Content-Type, W3C trace context)
 * inside a PRODUCER span, and waits for JetStream's ack. With a `cipher`, a payload bound for a sealed stream is
 * stored sealed; one whose headers already name its key (a dead letter or redrive moving stored bytes) is not
 * sealed twice. A payload too large for a NATS message goes to the claim-check bucket and the message carries its
 * name; one whose headers already name a claim check is moved as it is.
 */
export async function publishMessage(
  nc: NatsConnection,
  subject: string,
  data: Uint8Array | string,
  options: PublishOptions,
  atRest: PayloadAtRest = { cipher: undefined, claimCheck: undefined },
): Promise<PublishResult> {
  let payload = typeof data === "string" ? encoder.encode(data) : data;
  // carehub's own header names and values are known to be valid: set them without the per-call
  // validation of MsgHdrs.set (measurable at tens of thousands of publishes a second).
  const hdrs = new MsgHdrsImpl();
  hdrs.headers.set(HEADER.msgId, [validDedupId(subject, options.msgId)]);
  hdrs.headers.set(HEADER.schemaVersion, [SCHEMA_VERSION]);
  hdrs.headers.set(HEADER.contentType, [
    options.contentType ?? (typeof data === "string" ? "text/plain" : "application/octet-stream"),
  ]);
  if (options.headers !== undefined) {
    try {
      recordToHeaders(options.headers, hdrs);
    } catch (error) {
      throw new BusPublishRejectedError(subject, `invalid header for ${subject}: ${String(error)}`, { cause: error });
    }
  }
  // Payload encryption at rest (docs/operations.md): the one place payloads are sealed. A message that names a
  // claim check already (a dead letter, a redrive) has its payload in the object store, stored as it was.
  const { cipher, claimCheck } = atRest;
  // A reference to the INGRESS copy (docs/decisions/0109) carries no payload: the copy it names is sealed there.
  if (
    cipher !== undefined &&
    !hdrs.headers.has(HEADER.payloadKey) &&
    !hdrs.headers.has(HEADER.claimCheck) &&
    !hdrs.headers.has(HEADER.payloadRef) &&
    cipher.seals(subject)
  ) {
    const sealed = cipher.seal(payload);
    payload = sealed.data;
    hdrs.headers.set(HEADER.payloadKey, [sealed.keyId]);
  }
  // Claim check (issue 16 item 4): the one place a large payload leaves the message for the object store.
  // (A message that already names a claim check — a dead letter, a redrive — has an empty payload: never again.)
  let claimed: { name: string; payload: Uint8Array } | undefined;
  if (claimCheck?.applies(subject, payload.byteLength)) {
    claimed = { name: await claimCheck.put(payload), payload };
    hdrs.headers.set(HEADER.claimCheck, [claimed.name]);
    payload = EMPTY;
  }

  const parent = context.active();
  const span = tracer.startSpan(spanName(subject), { kind: SpanKind.PRODUCER }, parent);
  const recording = span.isRecording();
  if (recording) span.setAttributes({ "messaging.system": "nats", "messaging.destination.name": subject });
  // A span context is valid when this process records, or when it continues someone else's trace.
  if (recording || isSpanContextValid(span.spanContext())) {
    const carrier: Record<string, string> = {};
    injectTraceContext(carrier, trace.setSpan(parent, span));
    if (carrier.traceparent !== undefined) hdrs.headers.set(HEADER.traceparent, [carrier.traceparent]);
    if (carrier.tracestate !== undefined) hdrs.headers.set(HEADER.tracestate, [carrier.tracestate]);
  }

  // JetStream refuses the message unless this stream stores the subject (the header js.publish's `expect` sets).
  if (options.expectStream !== undefined) hdrs.headers.set(EXPECTED_STREAM, [options.expectStream]);

  try {
    const ack = await PublishAcks.of(nc).publish(
      subject,
      payload,
      hdrs,
      options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
    );
    if (recording) span.setAttribute("messaging.nats.duplicate", ack.duplicate);
    if (claimed !== undefined) await claimCheck?.confirm(claimed.name, claimed.payload);
    return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
  } catch (error) {
    const failure = classify(subject, error);
    recordError(span, failure);
    throw failure;
  } finally {
    span.end();
  }
}

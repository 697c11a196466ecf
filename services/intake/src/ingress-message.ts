import type { Logger } from "@carehub/observability";
import { INTAKE_ERROR_CODES, IntakeDeadLetterError } from "./intake-errors.ts";

/** One raw message from INGRESS, with what the hub knows about how it arrived, before it is identified. */
export interface IngressArrival {
  /** Registry id of the endpoint that sent it: the INGRESS subject's, which NATS permissions bind. */
  sourceEndpoint: string;
  receivedAt: string;
  contentType: string | undefined;
  bytes: Uint8Array;
  stream: string;
  seq: number;
  /** A hub id a header claimed. Never used: identity is the hub's (see `identify`); kept to log a mismatch. */
  claimedHubId: string | undefined;
}

/** An INGRESS message with the hub id the hub derived for it. */
export interface IngressMessage extends Omit<IngressArrival, "claimedHubId"> {
  hubId: string;
}

export interface RawIngressMessage {
  subject: string;
  headers: Readonly<Record<string, string>>;
  data: Uint8Array;
  stream: string;
  seq: number;
  /** When JetStream stored it. */
  storedAt: Date;
}

/**
 * Reads an INGRESS message. The subject names the source (NATS permissions let an endpoint publish only to
 * its own subject; the gateway publishes for authenticated endpoints only). INGRESS is writable by endpoints,
 * so no header decides anything that matters: not the source (the subject wins), not the hub id (derived
 * by the ledger from the source and the message's own id, or from the stream position). The gateway's
 * receive time is taken when its source header agrees with the subject and it is not later than the time JetStream
 * stored the message; otherwise the time JetStream stored it.
 */
export function readIngressMessage(raw: RawIngressMessage, ingressSubjectPrefix: string): IngressArrival {
  if (!raw.subject.startsWith(ingressSubjectPrefix)) {
    throw new IntakeDeadLetterError(INTAKE_ERROR_CODES.badIngressMessage, "subject is outside this hub's INGRESS");
  }
  const subjectSource = raw.subject.slice(ingressSubjectPrefix.length);
  if (subjectSource === "" || subjectSource.includes(".")) {
    throw new IntakeDeadLetterError(INTAKE_ERROR_CODES.badIngressMessage, "the INGRESS subject names no endpoint");
  }
  const headerReceivedAt =
    raw.headers["Carehub-Source-Endpoint"] === subjectSource
      ? validTime(raw.headers["Carehub-Received-At"])
      : undefined;
  return {
    sourceEndpoint: subjectSource,
    receivedAt: notAfter(headerReceivedAt, raw.storedAt),
    contentType: raw.headers["Content-Type"],
    bytes: raw.data,
    stream: raw.stream,
    seq: raw.seq,
    claimedHubId: raw.headers["Carehub-Hub-Id"],
  };
}

/**
 * The arrival under the hub id the hub derived (`hubIdOf`: the ledger's). A header that claimed another id
 * is ignored and logged — an endpoint publishing on NATS can put any header on its own subject, and an id it
 * chose could take another message's place (issue 9: a forged id overwrote a victim's status).
 */
export function identify(arrival: IngressArrival, hubId: string, logger?: Logger): IngressMessage {
  const { claimedHubId, ...rest } = arrival;
  if (claimedHubId !== undefined && claimedHubId !== hubId) {
    logger?.warn(
      { hubId, endpoint: arrival.sourceEndpoint, seq: arrival.seq },
      "ignored a Carehub-Hub-Id header that is not the id the hub derives for this message",
    );
  }
  return { ...rest, hubId };
}

/**
 * The receive time a header gave, never later than the time JetStream stored the message: a NATS endpoint sets
 * `Carehub-Received-At` itself, and the router's OUTBOX-by-reference age rule (docs/decisions/0109) reckons with
 * when INGRESS will let the copy go, which counts from the stored time. Without a header: the stored time.
 */
function notAfter(headerTime: string | undefined, storedAt: Date): string {
  if (headerTime === undefined || Date.parse(headerTime) > storedAt.getTime()) return storedAt.toISOString();
  return headerTime;
}

function validTime(value: string | undefined): string | undefined {
  return value !== undefined && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/**
 * The parts of a bus delivery intake reads. Spelled out field by field: a delivery exposes them as
 * getters, which an object spread would silently drop.
 */
export function rawIngress(
  delivery: {
    subject: string;
    headers: Readonly<Record<string, string>>;
    data: Uint8Array;
    stream: string;
    seq: number;
  },
  storedAt: Date,
): RawIngressMessage {
  return {
    subject: delivery.subject,
    headers: delivery.headers,
    data: delivery.data,
    stream: delivery.stream,
    seq: delivery.seq,
    storedAt,
  };
}

import { derivedUuid } from "@carehub/acknowledgements";
import { hubIdFromStreamPosition } from "./derived-ids.ts";
import { INTAKE_ERROR_CODES, IntakeDeadLetterError } from "./intake-errors.ts";

/** One raw message from INGRESS, with what the hub knows about how it arrived. */
export interface IngressMessage {
  hubId: string;
  /** Registry id of the endpoint that sent it (authenticated by the gateway, or by NATS permissions). */
  sourceEndpoint: string;
  receivedAt: string;
  contentType: string | undefined;
  bytes: Uint8Array;
  stream: string;
  seq: number;
  /** True when an endpoint published it on NATS itself (no gateway: intake owns its dedup). */
  publishedDirectly: boolean;
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
 * Reads an INGRESS message. Messages from the gateway carry Carehub-Hub-Id, Carehub-Source-Endpoint and
 * Carehub-Received-At; an endpoint that publishes on NATS itself may not, so the subject names the source
 * (NATS permissions let an endpoint publish only to its own subject), the hub id is derived from the
 * stream position and the receive time is when JetStream stored it. Header values from a direct publisher
 * are not trusted for the source: the subject wins.
 */
export function readIngressMessage(raw: RawIngressMessage, ingressSubjectPrefix: string): IngressMessage {
  if (!raw.subject.startsWith(ingressSubjectPrefix)) {
    throw new IntakeDeadLetterError(INTAKE_ERROR_CODES.badIngressMessage, "subject is outside this hub's INGRESS");
  }
  const subjectSource = raw.subject.slice(ingressSubjectPrefix.length);
  if (subjectSource === "" || subjectSource.includes(".")) {
    throw new IntakeDeadLetterError(INTAKE_ERROR_CODES.badIngressMessage, "the INGRESS subject names no endpoint");
  }
  const headerHubId = raw.headers["Carehub-Hub-Id"];
  const headerSource = raw.headers["Carehub-Source-Endpoint"];
  const publishedDirectly = headerHubId === undefined || headerSource !== subjectSource;
  return {
    hubId: publishedDirectly ? hubIdFromStreamPosition(raw.stream, raw.seq) : headerHubId,
    sourceEndpoint: subjectSource,
    receivedAt: (!publishedDirectly && validTime(raw.headers["Carehub-Received-At"])) || raw.storedAt.toISOString(),
    contentType: raw.headers["Content-Type"],
    bytes: raw.data,
    stream: raw.stream,
    seq: raw.seq,
    publishedDirectly,
  };
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

/**
 * The gateway derives the hub id of a message it could read from (namespace, source endpoint, message id).
 * A Carehub-Hub-Id header that does not match was not set by the gateway but by an endpoint publishing on
 * NATS itself; it is replaced by the stream-position id, so a made-up id can never take another message's
 * place in PIPELINE's dedup. (A message nobody could read keeps the gateway's random id: nothing to check.)
 */
export function withCheckedHubId(
  ingress: IngressMessage,
  namespace: string,
  messageId: string | undefined,
  now: Date,
): IngressMessage {
  if (ingress.publishedDirectly || messageId === undefined) return ingress;
  if (ingress.hubId === derivedUuid("message", namespace, ingress.sourceEndpoint, messageId)) return ingress;
  return {
    ...ingress,
    hubId: hubIdFromStreamPosition(ingress.stream, ingress.seq),
    receivedAt: now.toISOString(),
    publishedDirectly: true,
  };
}

import { createHash, randomUUID } from "node:crypto";
import { sendAcknowledgement } from "@carehub/acknowledgements";
import type { Bus } from "@carehub/bus";
import type { MessageIdentity } from "@carehub/formats";
import type { ArrivingMessage, MessageLedger, RepeatAnswer } from "@carehub/ledger";
import type { Logger } from "@carehub/observability";
import { metrics } from "@carehub/observability";
import type { Endpoint, EventOf, HubIdentity, MessageKind } from "@carehub/schemas";
import type { MessageDuplicate, MessageReceived } from "./api-bodies.ts";
import { GatewayUnavailableError } from "./gateway-errors.ts";

export interface AcceptMessageDeps {
  bus: Pick<Bus, "publish" | "publishJson" | "publishEvent" | "topology">;
  /** The message ledger: identity, the repeat look-up and the answer a repeat gets (packages/ledger). */
  ledger: Pick<MessageLedger, "admit" | "recordAdmitted" | "hubIdOf" | "repeatAnswer">;
  /** Reads a message's id and kind from its header alone (default: readMessageIdentity of @carehub/formats). */
  readIdentity: (bytes: Uint8Array, options: { contentType?: string }) => MessageIdentity;
  clock?: () => Date;
  logger?: Logger;
}

export interface IncomingMessage {
  endpoint: Endpoint;
  hub: HubIdentity;
  bytes: Uint8Array;
  /** Canonical content type (see media-type.ts). */
  contentType: string;
}

export type AcceptOutcome = { statusCode: 202; body: MessageReceived } | { statusCode: 200; body: MessageDuplicate };

/**
 * Puts one authenticated message on INGRESS, byte for byte, or recognises it as a repeat.
 *
 * Only the header is read (message id and kind; intake parses in full). The ledger derives the hub id from
 * the authenticated endpoint and the message id and looks the message up — for the whole retention, not only
 * inside JetStream's duplicate window — in the same round trip as the answer a repeat would get. A message
 * whose id cannot be read is stored all the same, its hub id derived from where INGRESS stored it: intake
 * rejects it with the reason.
 *
 * A repeat (same sender, same message id, whatever its Bundle.id) stores nothing, emits a `duplicate` event
 * and gets the first copy's acknowledgement again, under new ids (MedCom), when the hub holds one.
 */
export async function acceptMessage(message: IncomingMessage, deps: AcceptMessageDeps): Promise<AcceptOutcome> {
  const now = (deps.clock ?? (() => new Date()))();
  const { endpoint } = message;
  const identity = deps.readIdentity(message.bytes, { contentType: message.contentType });
  const arriving: ArrivingMessage = { endpoint: endpoint.id, messageId: identity.messageId, kind: identity.kind };
  const receivedAt = now.toISOString();
  // One event per distinct transmission: a retried request with the same bytes is the same fact. Only a repeat
  // needs it, so the whole body is hashed only then.
  let transmission: string | undefined;
  const transmissionOf = () => {
    transmission ??= createHash("sha256").update(message.bytes).digest("hex").slice(0, 16);
    return transmission;
  };
  const copy = () => `gateway:${transmissionOf()}:${receivedAt}`;

  const admission = await redisCall(() => deps.ledger.admit(arriving, copy));
  if (admission.repeat) {
    return duplicate(
      { ...message, arriving, transmission: transmissionOf(), firstHubId: admission.first.hubId, now },
      admission.answer,
      deps,
    );
  }
  const stored = await deps.bus.publish(deps.bus.topology.subjects.ingress(endpoint.id), message.bytes, {
    // Unreadable bytes have no id to dedup on: each request is its own message.
    msgId: admission.hubId ?? randomUUID(),
    contentType: message.contentType,
    expectStream: deps.bus.topology.streams.ingress,
    headers: {
      ...(admission.hubId === undefined ? {} : { "Carehub-Hub-Id": admission.hubId }),
      "Carehub-Source-Endpoint": endpoint.id,
      "Carehub-Received-At": receivedAt,
    },
  });
  const hubId = admission.hubId ?? deps.ledger.hubIdOf(arriving, { stream: stored.stream, seq: stored.seq }) ?? "";
  const { messageId } = identity;
  if (messageId !== undefined) {
    try {
      await deps.ledger.recordAdmitted(arriving, hubId, stored.seq);
    } catch (error) {
      // The bytes are stored, so the sender gets its 202; intake claims the message (SET NX) all the same.
      deps.logger?.warn({ hubId, endpoint: endpoint.id, err: error }, "message id not recorded; intake will retry it");
    }
    // The same id was already on INGRESS: a copy racing this one, or a retry after a lost answer.
    if (stored.duplicate) {
      const answer = await redisCall(() => deps.ledger.repeatAnswer(hubId, identity.kind, copy()));
      return duplicate({ ...message, arriving, transmission: transmissionOf(), firstHubId: hubId, now }, answer, deps);
    }
  }
  metrics.messages.labels({ stage: "gateway", kind: identity.kind ?? "unknown", outcome: "received" }).inc();
  deps.logger?.debug({ hubId, endpoint: endpoint.id, seq: stored.seq }, "message stored on INGRESS");
  return {
    statusCode: 202,
    body: messageId === undefined ? { id: hubId, status: "received" } : { id: hubId, messageId, status: "received" },
  };
}

interface RepeatCopy extends IncomingMessage {
  arriving: ArrivingMessage;
  transmission: string;
  firstHubId: string;
  now: Date;
}

async function duplicate(
  repeat: RepeatCopy,
  answer: RepeatAnswer | undefined,
  deps: AcceptMessageDeps,
): Promise<AcceptOutcome> {
  const { endpoint, firstHubId, transmission } = repeat;
  const messageId = repeat.arriving.messageId ?? "";
  const kind = repeat.arriving.kind as MessageKind | undefined;
  const event: EventOf<"duplicate"> = {
    schemaVersion: 1,
    type: "duplicate",
    eventId: `${firstHubId}:duplicate:${transmission}`,
    at: repeat.now.toISOString(),
    hubId: firstHubId,
    messageId,
    sourceEndpoint: endpoint.id,
    ...(kind === undefined ? {} : { kind }),
    originalHubId: firstHubId,
  };
  await deps.bus.publishEvent(event);
  if (answer !== undefined) await sendAcknowledgement(deps.bus, answer, endpoint.id);
  metrics.messages.labels({ stage: "gateway", kind: kind ?? "unknown", outcome: "duplicate" }).inc();
  deps.logger?.info(
    { hubId: firstHubId, endpoint: endpoint.id, answeredAs: answer?.hubId },
    "repeat of a message already received",
  );
  return { statusCode: 200, body: { id: firstHubId, messageId, status: "duplicate", duplicate: true } };
}

async function redisCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new GatewayUnavailableError("Redis is not reachable", { cause: error });
  }
}

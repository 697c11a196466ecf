import { createHash } from "node:crypto";
import { acknowledgementForRepeat, acknowledgementResend, sendAcknowledgement } from "@carehub/acknowledgements";
import type { Bus } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import { metrics } from "@carehub/observability";
import type { Endpoint, EventOf, HubIdentity, MessageKind, ParseResult } from "@carehub/schemas";
import type { Redis } from "ioredis";
import type { MessageDuplicate, MessageReceived } from "./api-bodies.ts";
import { GatewayUnavailableError } from "./gateway-errors.ts";
import { gatewayKeys } from "./gateway-keys.ts";
import { messageHubId, nameBasedUuid, randomHubId } from "./hub-id.ts";

export interface AcceptMessageDeps {
  bus: Pick<Bus, "publish" | "publishJson" | "publishEvent" | "topology">;
  redis: Pick<Redis, "get" | "set">;
  parse: (bytes: Uint8Array, options: { contentType?: string }) => ParseResult;
  /** How long the message-id key is kept (the read model's retention). */
  retentionDays: number;
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
 * The message id is read with the format parsers. When it is known the hub id is derived from it
 * (name-based UUID of namespace, endpoint, message id), so a crash between the publish and the Redis write,
 * or two copies racing, still make one id and — through Nats-Msg-Id dedup — one stored message. A message
 * that cannot be read is stored all the same under a random UUIDv7: intake rejects it with the reason.
 *
 * A repeat (same sender, same message id) answers with the first copy's id, stores nothing, emits a
 * `duplicate` event and, when the hub holds an acknowledgement of the first copy, sends it again (MedCom:
 * a duplicate gets the same acknowledgement as the first copy).
 */
export async function acceptMessage(message: IncomingMessage, deps: AcceptMessageDeps): Promise<AcceptOutcome> {
  const now = (deps.clock ?? (() => new Date()))();
  const { endpoint } = message;
  const keys = gatewayKeys(deps.bus.topology.namespace);
  const parsed = deps.parse(message.bytes, { contentType: message.contentType });
  const messageId = parsed.ok ? parsed.message.messageId : parsed.partial.messageId;
  const kind = parsed.ok ? parsed.message.kind : parsed.partial.kind;

  if (messageId !== undefined) {
    const first = await redisCall(() => deps.redis.get(keys.messageId(endpoint.id, messageId)));
    if (first !== null) return duplicate({ ...message, messageId, kind, firstHubId: first, now }, deps);
  }
  const hubId =
    messageId === undefined
      ? randomHubId(now.getTime())
      : messageHubId(deps.bus.topology.namespace, endpoint.id, messageId);
  const stored = await deps.bus.publish(deps.bus.topology.subjects.ingress(endpoint.id), message.bytes, {
    msgId: hubId,
    contentType: message.contentType,
    expectStream: deps.bus.topology.streams.ingress,
    headers: {
      "Carehub-Hub-Id": hubId,
      "Carehub-Source-Endpoint": endpoint.id,
      "Carehub-Received-At": now.toISOString(),
    },
  });
  if (messageId !== undefined) {
    try {
      await deps.redis.set(keys.messageId(endpoint.id, messageId), hubId, "EX", deps.retentionDays * 86_400, "NX");
    } catch (error) {
      // The bytes are stored, so the sender gets its 202; intake writes the same key again (SET NX).
      deps.logger?.warn({ hubId, endpoint: endpoint.id, err: error }, "message id not recorded; intake will retry it");
    }
    // The same id was already on INGRESS: a copy racing this one, or a retry after a lost answer.
    if (stored.duplicate) return duplicate({ ...message, messageId, kind, firstHubId: hubId, now }, deps);
  }
  metrics.messages.labels({ stage: "gateway", kind: kind ?? "unknown", outcome: "received" }).inc();
  deps.logger?.debug({ hubId, endpoint: endpoint.id, seq: stored.seq }, "message stored on INGRESS");
  return {
    statusCode: 202,
    body: messageId === undefined ? { id: hubId, status: "received" } : { id: hubId, messageId, status: "received" },
  };
}

async function duplicate(
  repeat: IncomingMessage & { messageId: string; kind: MessageKind | undefined; firstHubId: string; now: Date },
  deps: AcceptMessageDeps,
): Promise<AcceptOutcome> {
  const { endpoint, firstHubId, messageId } = repeat;
  // One event per distinct transmission: a retried request with the same bytes is the same fact.
  const transmission = createHash("sha256").update(repeat.bytes).digest("hex").slice(0, 16);
  const event: EventOf<"duplicate"> = {
    schemaVersion: 1,
    type: "duplicate",
    eventId: `${firstHubId}:duplicate:${transmission}`,
    at: repeat.now.toISOString(),
    hubId: firstHubId,
    messageId,
    sourceEndpoint: endpoint.id,
    ...(repeat.kind === undefined ? {} : { kind: repeat.kind }),
    originalHubId: firstHubId,
  };
  await deps.bus.publishEvent(event);

  const stored = await redisCall(() => acknowledgementForRepeat(deps.redis, deps.bus.topology.namespace, firstHubId));
  if (stored !== undefined) {
    // A new hub id for the resend: the dispatcher delivers each hub id once per receiver.
    const resendId = nameBasedUuid("ack-resend", firstHubId, transmission);
    await sendAcknowledgement(deps.bus, acknowledgementResend(stored, resendId, repeat.hub.id), endpoint.id);
  }
  metrics.messages.labels({ stage: "gateway", kind: repeat.kind ?? "unknown", outcome: "duplicate" }).inc();
  deps.logger?.info(
    { hubId: firstHubId, endpoint: endpoint.id, ackResent: stored !== undefined },
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

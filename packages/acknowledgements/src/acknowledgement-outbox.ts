import { parseStoredAcknowledgement, type StoredAcknowledgement } from "./stored-acknowledgement.ts";

/*
 * The two I/O steps every stage that answers a sender does alike — keeping an acknowledgement in Redis and
 * sending one to an endpoint's OUTBOX — written once, against the narrow interfaces below, which an ioredis
 * client and a `@carehub/bus` Bus satisfy (so this package needs neither). Callers map failures to their own
 * typed errors.
 */

/** The Redis keys of stored acknowledgements (docs/contracts.md "Redis keys"). */
export interface AcknowledgementKeys {
  /** The acknowledgement the hub itself made for a message (a negative acknowledgement from intake or router). */
  hubAcknowledgement(hubId: string): string;
  /** The receiver's acknowledgement of a message, as the router relayed it to the sender. */
  relayedAcknowledgement(hubId: string): string;
}

export function acknowledgementKeys(namespace: string): AcknowledgementKeys {
  return {
    hubAcknowledgement: (hubId) => `${namespace}:ack:${hubId}`,
    relayedAcknowledgement: (hubId) => `${namespace}:ackmsg:${hubId}`,
  };
}

/** What keeping and reading acknowledgements needs from Redis. */
export interface AcknowledgementRedis {
  set(key: string, value: string, secondsToken: "EX", seconds: number, nx: "NX"): Promise<"OK" | null>;
  get(key: string): Promise<string | null>;
}

/**
 * Keeps the hub's own answer to a message (`<ns>:ack:<hubId>`) before it is sent: SET NX, then read back, so
 * when a crashed earlier attempt already stored one, that exact one is sent and Redis and OUTBOX never disagree.
 */
export async function keepHubAcknowledgement(
  redis: AcknowledgementRedis,
  namespace: string,
  originalHubId: string,
  answer: Required<StoredAcknowledgement>,
  ttlSeconds: number,
): Promise<Required<StoredAcknowledgement>> {
  const key = acknowledgementKeys(namespace).hubAcknowledgement(originalHubId);
  if ((await redis.set(key, JSON.stringify(answer), "EX", ttlSeconds, "NX")) === "OK") return answer;
  const earlier = parseStoredAcknowledgement(await redis.get(key));
  return earlier === undefined ? answer : { ...answer, ...earlier };
}

/**
 * The acknowledgement a repeat of a message gets again (MedCom: a duplicate gets the first copy's answer):
 * the receiver's, as relayed, when there is one; otherwise the hub's own; undefined when there is none yet.
 */
export async function acknowledgementForRepeat(
  redis: Pick<AcknowledgementRedis, "get">,
  namespace: string,
  firstHubId: string,
): Promise<StoredAcknowledgement | undefined> {
  const keys = acknowledgementKeys(namespace);
  return (
    parseStoredAcknowledgement(await redis.get(keys.relayedAcknowledgement(firstHubId))) ??
    parseStoredAcknowledgement(await redis.get(keys.hubAcknowledgement(firstHubId)))
  );
}

/**
 * A stored acknowledgement labelled for sending again: a hub id of its own (the dispatcher delivers each hub
 * id once per receiver), with the message id and source filled in where an older record lacks them.
 */
export function acknowledgementResend(
  stored: StoredAcknowledgement,
  resendHubId: string,
  hubEndpointId: string,
): Required<StoredAcknowledgement> {
  return {
    ...stored,
    hubId: resendHubId,
    messageId: stored.messageId ?? resendHubId,
    sourceEndpoint: stored.sourceEndpoint ?? hubEndpointId,
  };
}

/** What sending needs from the bus. */
export interface AcknowledgementPublisher {
  publish(
    subject: string,
    data: Uint8Array,
    options: { msgId: string; contentType: string; expectStream: string; headers: Record<string, string> },
  ): Promise<unknown>;
  readonly topology: {
    readonly subjects: { outbox(endpointId: string): string };
    readonly streams: { outbox: string };
  };
}

/**
 * Sends an acknowledgement to an endpoint through its OUTBOX with the contract's headers and dedup id
 * `<acknowledgement hub id>:<endpoint>` (docs/contracts.md "Negative acknowledgements made by the hub").
 */
export async function sendAcknowledgement(
  bus: AcknowledgementPublisher,
  answer: Required<StoredAcknowledgement>,
  to: string,
): Promise<void> {
  await bus.publish(bus.topology.subjects.outbox(to), Buffer.from(answer.base64, "base64"), {
    msgId: `${answer.hubId}:${to}`,
    contentType: answer.contentType,
    expectStream: bus.topology.streams.outbox,
    headers: {
      "Carehub-Hub-Id": answer.hubId,
      "Carehub-Source-Endpoint": answer.sourceEndpoint,
      "Carehub-Message-Id": answer.messageId,
      "Carehub-Receiver": to,
      "Carehub-Kind": "acknowledgement",
    },
  });
}

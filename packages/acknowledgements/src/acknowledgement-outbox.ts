import { type LedgerKeys, ledgerKeys } from "@carehub/ledger";
import {
  encodeStoredAcknowledgement,
  parseStoredAcknowledgement,
  type StoredAcknowledgement,
} from "./stored-acknowledgement.ts";

/*
 * The two I/O steps every stage that answers a sender does alike — keeping an acknowledgement in Redis and
 * sending one to an endpoint's OUTBOX — written once, against the narrow interfaces below, which an ioredis
 * client and a `@carehub/bus` Bus satisfy (so this package needs neither). Callers map failures to their own
 * typed errors.
 */

/** The Redis keys of stored acknowledgements (spelled by the message ledger, docs/contracts.md "Redis keys"). */
export type AcknowledgementKeys = Pick<LedgerKeys, "hubAcknowledgement" | "relayedAcknowledgement">;

export function acknowledgementKeys(namespace: string): AcknowledgementKeys {
  const { hubAcknowledgement, relayedAcknowledgement } = ledgerKeys(namespace);
  return { hubAcknowledgement, relayedAcknowledgement };
}

/** What keeping acknowledgements needs from Redis (SET … NX GET: Redis 7.0 or later, as the ledger's claim). */
export interface AcknowledgementRedis {
  set(key: string, value: string, secondsToken: "EX", seconds: number, nx: "NX", get: "GET"): Promise<string | null>;
}

/**
 * Keeps the hub's own answer to a message (`<ns>:ack:<hubId>`) before it is sent: SET NX GET, one round trip, so
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
  const kept = encodeStoredAcknowledgement(answer);
  // Larger than a kept acknowledgement may be (the hub's own are a few KB): sent, never kept.
  if (kept === undefined) return answer;
  // One round trip: stored unless one is there, and the one there (null: this one was stored) comes back.
  const earlier = parseStoredAcknowledgement(await redis.set(key, kept, "EX", ttlSeconds, "NX", "GET"));
  return earlier === undefined ? answer : { ...answer, ...earlier };
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

import { retentionSeconds } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { ingressHubId, repeatAnswerIds } from "./derived-ids.ts";
import { type LedgerKeys, ledgerKeys } from "./ledger-keys.ts";
import {
  encodeFirstCopy,
  type FirstCopy,
  parseFirstCopy,
  parseStoredAcknowledgement,
  type StoredAcknowledgement,
} from "./ledger-records.ts";
import { renewAcknowledgement } from "./renew-acknowledgement.ts";

/** What the ledger needs from Redis (an ioredis client satisfies it). */
export type LedgerRedis = Pick<Redis, "mget" | "set" | "get">;

export interface MessageLedgerOptions {
  redis: LedgerRedis;
  namespace: string;
  /** How long a message's records are kept: the read model's retention, so a repeat is known that long. */
  retentionDays: number;
  /** The hub's registry id: the source of a resent answer whose record does not name one. */
  hubEndpointId: string;
  clock?: () => Date;
}

/** What identifies an arriving message: the authenticated sending endpoint, and what its header says. */
export interface ArrivingMessage {
  endpoint: string;
  /** The sender's own message id (FHIR MessageHeader.id, OIOXML letter id); undefined when unreadable. */
  messageId: string | undefined;
  kind?: string | undefined;
}

/** The acknowledgement a repeat gets: ready for `sendAcknowledgement`. */
export type RepeatAnswer = Required<StoredAcknowledgement>;

/** A message seen before: the first copy, and the answer this copy gets (none yet, or none for an acknowledgement). */
export interface Repeat {
  repeat: true;
  first: FirstCopy;
  answer: RepeatAnswer | undefined;
}

export type Admission = { repeat: false; hubId: string | undefined } | Repeat;

export type Claim = { repeat: false; hubId: string } | Repeat;

/**
 * A sender's first copy of a message as the ledger keeps it (the console's look-up by message id and its payload
 * view): an older release's key while it lasts — the earlier record —, else the key a first copy has now
 * (docs/decisions/0110). Undefined when the hub does not know the message.
 */
export async function findFirstCopy(
  redis: Pick<Redis, "mget">,
  keys: LedgerKeys,
  endpoint: string,
  messageId: string,
): Promise<FirstCopy | undefined> {
  const [former, current] = await redis.mget(
    keys.formerMessageId(endpoint, messageId),
    keys.messageId(endpoint, messageId),
  );
  return parseFirstCopy(former ?? current, keys.derivedHubId(endpoint, messageId));
}

/**
 * The message ledger: the one owner of message identity and repeat handling (docs/decisions/0014-message-ledger.md).
 * A message is identified by its authenticated sender and its own id, for as long as the hub keeps it (the
 * read model's retention), whatever JetStream's duplicate window says: the gateway admits it, intake claims
 * it, and a second copy — by HTTP or NATS, in any format, with any Bundle.id — is a repeat: never delivered
 * again, answered with the first copy's acknowledgement under new ids. Each operation is one Redis round trip.
 */
export class MessageLedger {
  readonly keys: LedgerKeys;
  readonly #redis: LedgerRedis;
  readonly #ttlSeconds: number;
  readonly #hubEndpointId: string;
  readonly #clock: () => Date;

  constructor(options: MessageLedgerOptions) {
    this.keys = ledgerKeys(options.namespace);
    this.#redis = options.redis;
    this.#ttlSeconds = retentionSeconds(options.retentionDays);
    this.#hubEndpointId = options.hubEndpointId;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** messageHubId of derived-ids.ts, as the keys derive it (remembered for the messages in hand). */
  #messageHubId(endpoint: string, messageId: string): string {
    return this.keys.derivedHubId(endpoint, messageId);
  }

  /** The hub id of a message, from its sender and own id (or, when none could be read, its INGRESS position). */
  hubIdOf(message: ArrivingMessage, stored?: { stream: string; seq: number }): string | undefined {
    if (message.messageId !== undefined) return this.#messageHubId(message.endpoint, message.messageId);
    return stored === undefined ? undefined : ingressHubId(stored.stream, stored.seq);
  }

  /**
   * The gateway's look-up before it stores a message: a repeat (with its answer) or a new message with the
   * hub id it will carry (undefined when its id could not be read: INGRESS's position names it). One MGET
   * reads the first-copy record and both stored acknowledgements of the id the first copy would have.
   * `copy` names this arrival, so each repeat gets an answer of its own; a function is called only for a repeat
   * (the gateway's name hashes the whole body, which a new message does not need).
   */
  async admit(message: ArrivingMessage, copy: string | (() => string)): Promise<Admission> {
    const hubId = this.hubIdOf(message);
    if (message.messageId === undefined || hubId === undefined) return { repeat: false, hubId: undefined };
    const [former, record, relayed, own] = await this.#redis.mget(
      this.keys.formerMessageId(message.endpoint, message.messageId),
      this.keys.messageId(message.endpoint, message.messageId),
      this.keys.relayedAcknowledgement(hubId),
      this.keys.hubAcknowledgement(hubId),
    );
    // An older release's first copy, while it lasts, is the earlier one (0110).
    const first = parseFirstCopy(former ?? record, hubId);
    if (first === undefined) return { repeat: false, hubId };
    const copyName = typeof copy === "string" ? copy : copy();
    const answer =
      first.hubId === hubId
        ? this.#answer(first.hubId, message.kind, copyName, relayed, own)
        : await this.repeatAnswer(first.hubId, message.kind, copyName);
    return { repeat: true, first, answer };
  }

  /** Records where INGRESS stored an admitted message (SET NX: a racing copy's record is kept). */
  async recordAdmitted(message: ArrivingMessage, hubId: string, seq: number): Promise<void> {
    if (message.messageId === undefined) return;
    await this.#redis.set(
      this.keys.messageId(message.endpoint, message.messageId),
      encodeFirstCopy({ hubId, seq }, this.#messageHubId(message.endpoint, message.messageId)),
      "EX",
      this.#ttlSeconds,
      "NX",
    );
  }

  /**
   * Intake's claim of the INGRESS message at `seq`: the first copy of its message (or a redelivery of that
   * same copy), or a repeat stored at another position, with its answer. SET NX GET and a GET of an older
   * release's key, sent together: one round trip.
   */
  async claim(
    message: ArrivingMessage & { messageId: string },
    stored: { stream: string; seq: number },
  ): Promise<Claim> {
    const hubId = this.#messageHubId(message.endpoint, message.messageId);
    const key = this.keys.messageId(message.endpoint, message.messageId);
    // Issued together, not awaited in between: they leave in one socket write (docs/decisions/0098).
    const [claimed, former] = await Promise.all([
      this.#redis.set(key, encodeFirstCopy({ hubId, seq: stored.seq }, hubId), "EX", this.#ttlSeconds, "NX", "GET"),
      this.#redis.get(this.keys.formerMessageId(message.endpoint, message.messageId)),
    ]);
    // An older release's first copy, while it lasts, is the earlier one (docs/decisions/0110).
    const earlier = parseFirstCopy(former ?? claimed, hubId);
    const sameCopy = earlier === undefined || (earlier.hubId === hubId && (earlier.seq ?? stored.seq) === stored.seq);
    if (sameCopy) return { repeat: false, hubId };
    const answer = await this.repeatAnswer(earlier.hubId, message.kind, `ingress:${stored.stream}:${stored.seq}`);
    return { repeat: true, first: earlier, answer };
  }

  /**
   * The answer a repeat of the message first stored as `firstHubId` gets: the receiver's acknowledgement as
   * relayed when there is one, else the hub's own, renewed under ids of this copy; none for an
   * acknowledgement (MedCom KR2: an acknowledgement is never answered) or while the first copy has none.
   */
  async repeatAnswer(firstHubId: string, kind: string | undefined, copy: string): Promise<RepeatAnswer | undefined> {
    if (kind === "acknowledgement") return undefined;
    const [relayed, own] = await this.#redis.mget(
      this.keys.relayedAcknowledgement(firstHubId),
      this.keys.hubAcknowledgement(firstHubId),
    );
    return this.#answer(firstHubId, kind, copy, relayed, own);
  }

  #answer(
    firstHubId: string,
    kind: string | undefined,
    copy: string,
    relayed: string | null | undefined,
    own: string | null | undefined,
  ): RepeatAnswer | undefined {
    if (kind === "acknowledgement") return undefined;
    const stored = parseStoredAcknowledgement(relayed) ?? parseStoredAcknowledgement(own);
    if (stored === undefined) return undefined;
    const ids = repeatAnswerIds(firstHubId, copy);
    const bytes = renewAcknowledgement(Buffer.from(stored.base64, "base64"), stored.contentType, ids, this.#clock());
    if (bytes === undefined) return undefined;
    return {
      contentType: stored.contentType,
      base64: Buffer.from(bytes).toString("base64"),
      hubId: ids.hubId,
      // FHIR: the new MessageHeader.id is the answer's hub id; OIOXML: its new letter id.
      messageId: /<(?:\w+:)?Emessage\b/.test(Buffer.from(bytes.subarray(0, 4096)).toString("latin1"))
        ? ids.letterId
        : ids.hubId,
      sourceEndpoint: stored.sourceEndpoint ?? this.#hubEndpointId,
    };
  }
}

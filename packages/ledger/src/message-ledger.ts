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
export type LedgerRedis = Pick<Redis, "mget" | "hget" | "defineCommand">;

/**
 * Records a first copy unless one is known (docs/decisions/0124): KEYS[1] the marker hash the first copy goes to
 * (`firstCopy`), KEYS[2] and KEYS[3], when given, older releases' first-copy keys (`formerMessageId`, `messageId`:
 * read, never written, the earlier first); ARGV[1] the field, ARGV[2] the record, ARGV[3] the retention in seconds.
 * Returns the first copy known before (the older keys' first), else false after setting the field and giving the hash
 * at least the retention from now: `EXPIRE … NX` when it has no expiry, else `EXPIRE … GT` (Redis 7.0) — the longer
 * of the two, so neither a hash left by an earlier delivery of the id (its expiry nearly spent) shortens the first
 * copy's life nor the first copy shortens the router's or dispatcher's markers. One script so a field is never left
 * without its hash's expiry.
 */
const FIRST_COPY_SCRIPT = `
local earlier = #KEYS == 3 and (redis.call('GET', KEYS[2]) or redis.call('GET', KEYS[3]))
  or redis.call('HGET', KEYS[1], ARGV[1])
if earlier then return earlier end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('EXPIRE', KEYS[1], ARGV[3], 'NX') == 0 then redis.call('EXPIRE', KEYS[1], ARGV[3], 'GT') end
return false
`;

/**
 * The name FIRST_COPY_SCRIPT is defined under on a client (defineCommand: sent as EVALSHA); exported for tests that
 * slow the claims down.
 */
export const FIRST_COPY_COMMAND = "carehubRecordFirstCopy";
type FirstCopyCommand = Record<typeof FIRST_COPY_COMMAND, (...args: (string | number)[]) => Promise<string | null>>;
const scripted = new WeakSet<object>();

function firstCopyCommand(redis: LedgerRedis): FirstCopyCommand[typeof FIRST_COPY_COMMAND] {
  if (!scripted.has(redis)) {
    // No numberOfKeys: the gateway's record sends one key, intake's claim three; the count goes first.
    redis.defineCommand(FIRST_COPY_COMMAND, { lua: FIRST_COPY_SCRIPT });
    scripted.add(redis);
  }
  return (redis as unknown as FirstCopyCommand)[FIRST_COPY_COMMAND].bind(redis);
}

export interface MessageLedgerOptions {
  redis: LedgerRedis;
  namespace: string;
  /** How long a message's records are kept: the read model's retention, so a repeat is known that long. */
  retentionDays: number;
  /** The hub's registry id: the source of a resent answer whose record does not name one. */
  hubEndpointId: string;
  clock?: () => Date;
  /** Told of a kept acknowledgement that cannot be read (the gateway's and intake's logger). */
  logger?: { warn(fields: Record<string, unknown>, message: string): void };
}

/** How many unreadable kept acknowledgements a ledger remembers having warned of, so each key warns once. */
const WARNED_KEYS_LIMIT = 1_000;

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

/**
 * Intake's claim: the first copy of its message, or a repeat of it stored at another position, named `copy` (the
 * name its answer's ids are renewed under). Not its answer: that is read in the message's turn (`repeatAnswer`),
 * after the first copy's turn has kept its own (docs/decisions/0129).
 */
export type Claim = { repeat: false; hubId: string } | { repeat: true; first: FirstCopy; copy: string };

/** The name of the INGRESS copy at `seq`, which a repeat's answer is renewed under (repeatAnswerIds). */
export function ingressCopy(stored: { stream: string; seq: number }): string {
  return `ingress:${stored.stream}:${stored.seq}`;
}

/**
 * A sender's first copy of a message as the ledger keeps it (the console's look-up by message id and its payload
 * view): an older release's key while it lasts — the earlier record (docs/decisions/0110) —, else the marker
 * hash's field a first copy has now (0124). Undefined when the hub does not know the message.
 */
export async function findFirstCopy(
  redis: Pick<Redis, "mget" | "hget">,
  keys: LedgerKeys,
  endpoint: string,
  messageId: string,
): Promise<FirstCopy | undefined> {
  // Issued together, not awaited in between: they leave in one socket write (docs/decisions/0098).
  const [[former, previous], current] = await Promise.all([
    redis.mget(keys.formerMessageId(endpoint, messageId), keys.messageId(endpoint, messageId)),
    redis.hget(keys.firstCopy(endpoint, messageId), keys.firstCopyField),
  ]);
  return parseFirstCopy(former ?? previous ?? current, keys.derivedHubId(endpoint, messageId));
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
  readonly #logger: MessageLedgerOptions["logger"];
  /** Keys of unreadable kept acknowledgements already warned of (cleared when full: at worst one warning more). */
  readonly #warned = new Set<string>();
  /** FIRST_COPY_SCRIPT bound to this ledger's client, once (every admitted and claimed message calls it). */
  #recordFirstCopy: FirstCopyCommand[typeof FIRST_COPY_COMMAND] | undefined;

  constructor(options: MessageLedgerOptions) {
    this.keys = ledgerKeys(options.namespace);
    this.#redis = options.redis;
    this.#ttlSeconds = retentionSeconds(options.retentionDays);
    this.#hubEndpointId = options.hubEndpointId;
    this.#clock = options.clock ?? (() => new Date());
    this.#logger = options.logger;
  }

  #firstCopy(): FirstCopyCommand[typeof FIRST_COPY_COMMAND] {
    this.#recordFirstCopy ??= firstCopyCommand(this.#redis);
    return this.#recordFirstCopy;
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
   * reads older releases' first-copy keys and both stored acknowledgements of the id the first copy would have,
   * an HGET the first copy's field (0124), in one socket write.
   * `copy` names this arrival, so each repeat gets an answer of its own; a function is called only for a repeat
   * (the gateway's name hashes the whole body, which a new message does not need).
   */
  async admit(message: ArrivingMessage, copy: string | (() => string)): Promise<Admission> {
    const hubId = this.hubIdOf(message);
    if (message.messageId === undefined || hubId === undefined) return { repeat: false, hubId: undefined };
    const [[former, previous, relayed, own], record] = await Promise.all([
      this.#redis.mget(
        this.keys.formerMessageId(message.endpoint, message.messageId),
        this.keys.messageId(message.endpoint, message.messageId),
        this.keys.relayedAcknowledgement(hubId),
        this.keys.hubAcknowledgement(hubId),
      ),
      this.#redis.hget(this.keys.firstCopy(message.endpoint, message.messageId), this.keys.firstCopyField),
    ]);
    // An older release's first copy, while it lasts, is the earlier one (0110, 0124).
    const first = parseFirstCopy(former ?? previous ?? record, hubId);
    if (first === undefined) return { repeat: false, hubId };
    const copyName = typeof copy === "string" ? copy : copy();
    const answer =
      first.hubId === hubId
        ? this.#answer(first.hubId, message.kind, copyName, relayed, own)
        : await this.repeatAnswer(first.hubId, message.kind, copyName);
    return { repeat: true, first, answer };
  }

  /**
   * Records where INGRESS stored an admitted message (set once: a racing copy's record is kept). Only after `admit`
   * found no first copy, older releases' keys included, so their keys are not read again (0124).
   */
  async recordAdmitted(message: ArrivingMessage, hubId: string, seq: number): Promise<void> {
    if (message.messageId === undefined) return;
    const record = encodeFirstCopy({ hubId, seq }, this.#messageHubId(message.endpoint, message.messageId));
    const key = this.keys.firstCopy(message.endpoint, message.messageId);
    await this.#firstCopy()(1, key, this.keys.firstCopyField, record, this.#ttlSeconds);
  }

  /**
   * Intake's claim of the INGRESS message at `seq`: the first copy of its message (or a redelivery of that
   * same copy), or a repeat stored at another position. One script call: older releases' keys read, then the first
   * copy's field set unless one is known (0124). A repeat's answer is not read here: intake sends the claim ahead of
   * the message's turn, before the first copy's turn may have kept the answer (0129).
   */
  async claim(
    message: ArrivingMessage & { messageId: string },
    stored: { stream: string; seq: number },
  ): Promise<Claim> {
    const hubId = this.#messageHubId(message.endpoint, message.messageId);
    const known = await this.#firstCopy()(
      3,
      this.keys.firstCopy(message.endpoint, message.messageId),
      this.keys.formerMessageId(message.endpoint, message.messageId),
      this.keys.messageId(message.endpoint, message.messageId),
      this.keys.firstCopyField,
      encodeFirstCopy({ hubId, seq: stored.seq }, hubId),
      this.#ttlSeconds,
    );
    const earlier = parseFirstCopy(known, hubId);
    const sameCopy = earlier === undefined || (earlier.hubId === hubId && (earlier.seq ?? stored.seq) === stored.seq);
    if (sameCopy) return { repeat: false, hubId };
    return { repeat: true, first: earlier, copy: ingressCopy(stored) };
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
    const stored =
      this.#kept(this.keys.relayedAcknowledgement(firstHubId), firstHubId, relayed) ??
      this.#kept(this.keys.hubAcknowledgement(firstHubId), firstHubId, own);
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

  /**
   * A kept acknowledgement as read, or undefined; one that is there but cannot be read (not JSON, inflating past
   * KEPT_ACKNOWLEDGEMENT_MAX_BYTES, a dictionary it was not written with) is warned of once per key — silently, every
   * repeat of its message would go unanswered with nothing to say why. Never its content: it may name a patient.
   */
  #kept(key: string, firstHubId: string, text: string | null | undefined): StoredAcknowledgement | undefined {
    const stored = parseStoredAcknowledgement(text);
    if (stored !== undefined || text === null || text === undefined || this.#warned.has(key)) return stored;
    if (this.#warned.size >= WARNED_KEYS_LIMIT) this.#warned.clear();
    this.#warned.add(key);
    this.#logger?.warn(
      { hubId: firstHubId, key, chars: text.length },
      "kept acknowledgement unreadable: a repeat of its message is not answered with it",
    );
    return undefined;
  }
}

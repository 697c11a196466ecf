import type { JetStreamManager } from "@nats-io/jetstream";
import { isJetStreamNotFound } from "./nats-errors.ts";

/** What the record needs of ioredis (sorted sets). */
export interface SenderOrderRedis {
  zadd(key: string, score: number, member: string): Promise<unknown>;
  zrangebyscore(key: string, min: number | string, max: number | string): Promise<string[]>;
  zremrangebyscore(key: string, min: number | string, max: number | string): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Stores the larger of the stored floor and ARGV[1]; returns the stored one. */
const RAISE_FLOOR = `local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
local seen = tonumber(ARGV[1])
if seen > stored then redis.call('SET', KEYS[1], ARGV[1]) return seen end
return stored`;

/** A message that must follow its sender's earlier messages on a stage (a correction or retraction). */
export interface Follower {
  /** Its sequence on the stage's stream. */
  seq: number;
  /** Who sent it (the same as `senderOf` gives for its stored copy). */
  sender: string;
  /** Its own message id. */
  messageId: string;
  /** What it follows: `id:<message id>` (a link) or `sample:<sample id>` (an OIOXML corrected lab result). */
  target: string;
}

export interface SenderOrderOptions {
  jsm: JetStreamManager;
  redis: SenderOrderRedis;
  namespace: string;
  stream: string;
  /** The stage's durable consumer (its ack floor: everything at or below it is finished). */
  durable: string;
  /** Who sent a stored message, from its subject or headers; undefined: unknown, so every follower waits for it. */
  senderOf: (stored: { subject: string; header: (name: string) => string | undefined }) => string | undefined;
}

/** Marks written between trims of the finished record (each trim reads the consumer's info once). */
const TRIM_EVERY = 256;
/** The sender of a stored message that names none: every follower waits for it. */
const ANYONE = "\u0000anyone";
/** Senders remembered by sequence (a stored message's sender never changes). */
const SENDER_CACHE_SIZE = 10_000;

/**
 * A per-stage record of which messages are finished, so that a correction waits only for its own sender's
 * earlier messages (docs/decisions/0075-correction-waits-for-its-sender.md). The stage marks each message
 * finished once its effects are stored (`finished`); a correction asks `earlierOfSenderSettled`: every message of
 * its sender between the consumer's ack floor and itself is finished, or is itself a waiting correction of
 * something else (corrections do not wait for one another: no convoy). A message held by a crashed worker, or by
 * another copy, is unfinished until it is redelivered and handled — however long that takes, so the wait has no
 * time bound that would let the correction pass.
 *
 * Redis keys (one owner): `<ns>:order:<durable>:finished` and `<ns>:order:<durable>:waiting`, sorted sets scored
 * by stream sequence, trimmed to above the ack floor, and `<ns>:order:<durable>:floor`, the highest ack floor ever
 * read. That one is the floor used: a nats-server restarted after a SIGKILL can give the consumer back an older ack
 * floor (its state is flushed now and then), below marks already trimmed, and waiting corrections then hold that
 * floor where it is — each waiting for finished messages whose marks are gone (the full chaos run of 17:33 UTC
 * dead-lettered 31 corrections so). Everything at or below a floor once read was finished then.
 */
export class SenderOrder {
  readonly #options: SenderOrderOptions;
  readonly #finishedKey: string;
  readonly #waitingKey: string;
  readonly #floorKey: string;
  readonly #senders = new Map<number, string | null>();
  #marks = 0;

  constructor(options: SenderOrderOptions) {
    this.#options = options;
    const prefix = `${options.namespace}:order:${options.durable}`;
    this.#finishedKey = `${prefix}:finished`;
    this.#waitingKey = `${prefix}:waiting`;
    this.#floorKey = `${prefix}:floor`;
  }

  /** The message at `seq` is finished at this stage (its effects are stored); call before it is acknowledged. */
  async finished(seq: number): Promise<void> {
    await this.#options.redis.zadd(this.#finishedKey, seq, String(seq));
    this.#marks += 1;
    if (this.#marks % TRIM_EVERY === 0) await this.#trim().catch(() => undefined);
  }

  /** A correction waits: later corrections of other things need not wait for it. */
  async waiting(follower: Follower): Promise<void> {
    const member = JSON.stringify({ seq: follower.seq, id: `id:${follower.messageId}`, target: follower.target });
    await this.#options.redis.zadd(this.#waitingKey, follower.seq, member);
  }

  /** Whether every earlier message of the follower's sender on this stage is finished (see the class). */
  async earlierOfSenderSettled(follower: Follower): Promise<boolean> {
    const floor = await this.#trim();
    if (floor >= follower.seq - 1) return true;
    const { redis } = this.#options;
    const [finished, waiting] = await Promise.all([
      redis.zrangebyscore(this.#finishedKey, `(${floor}`, `(${follower.seq}`),
      redis.zrangebyscore(this.#waitingKey, `(${floor}`, `(${follower.seq}`),
    ]);
    const done = new Set(finished.map(Number));
    const unrelated = new Set<number>();
    for (const member of waiting) {
      const entry = JSON.parse(member) as { seq: number; id: string; target: string };
      if (entry.id !== follower.target && entry.target !== follower.target) unrelated.add(entry.seq);
    }
    for (let seq = floor + 1; seq < follower.seq; seq++) {
      if (done.has(seq) || unrelated.has(seq)) continue;
      const sender = await this.#senderOf(seq);
      if (sender === follower.sender || sender === ANYONE) return false;
    }
    return true;
  }

  /**
   * Reads the ack floor, keeps the highest ever read, and drops what is at or below that from both records and the
   * cache; returns it.
   */
  async #trim(): Promise<number> {
    const { jsm, stream, durable, redis } = this.#options;
    const seen = (await jsm.consumers.info(stream, durable)).ack_floor.stream_seq;
    const floor = Number(await redis.eval(RAISE_FLOOR, 1, this.#floorKey, seen));
    await Promise.all([
      redis.zremrangebyscore(this.#finishedKey, "-inf", floor),
      redis.zremrangebyscore(this.#waitingKey, "-inf", floor),
    ]);
    for (const seq of this.#senders.keys()) if (seq <= floor) this.#senders.delete(seq);
    if (this.#senders.size > SENDER_CACHE_SIZE) this.#senders.clear();
    return floor;
  }

  async #senderOf(seq: number): Promise<string | null> {
    const known = this.#senders.get(seq);
    if (known !== undefined) return known;
    let sender: string | null = null;
    try {
      const stored = await this.#options.jsm.streams.getMessage(this.#options.stream, { seq });
      if (stored !== null) {
        const header = (name: string) => stored.header?.get(name) || undefined;
        sender = this.#options.senderOf({ subject: stored.subject, header }) ?? ANYONE;
      }
    } catch (error) {
      // Gone (retention, purge): nothing to wait for.
      if (!isJetStreamNotFound(error, "message")) throw error;
    }
    this.#senders.set(seq, sender);
    return sender;
  }
}

/** What `followerTarget` reads of an envelope. */
export interface FollowingEnvelope {
  links: { corrects?: { messageId: string } | undefined; retracts?: { messageId: string } | undefined };
  content: { kind: string; corrected?: boolean | undefined; sampleId?: string | undefined };
}

/**
 * What a message follows, if it must follow something: the message id a correction or retraction links to, or the
 * sample of an OIOXML corrected lab result (which names no original). Undefined for every other message.
 */
export function followerTarget(envelope: FollowingEnvelope): string | undefined {
  const linked = envelope.links.corrects?.messageId ?? envelope.links.retracts?.messageId;
  if (linked !== undefined) return `id:${linked}`;
  const { content } = envelope;
  if (content.kind === "lab-result" && content.corrected === true && content.sampleId !== undefined) {
    return `sample:${content.sampleId}`;
  }
  return undefined;
}

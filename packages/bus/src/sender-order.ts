import type { JetStreamManager } from "@nats-io/jetstream";
import { isJetStreamNotFound } from "./nats-errors.ts";

/** What the record needs of ioredis (sorted sets). */
export interface SenderOrderRedis {
  zadd(key: string, ...scoreMembers: (number | string)[]): Promise<unknown>;
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
  /** How long a finished mark waits to be written with others (default MARK_WRITE_MS). */
  markWriteMs?: number;
}

/** Marks written between trims of the finished record (each trim reads the consumer's info once). */
const TRIM_EVERY = 256;
/**
 * How long a finished mark waits to be written with the others of that moment (one ZADD for all of them): a
 * correction handled by this process counts its unwritten marks at once; another copy sees them this much later.
 */
export const MARK_WRITE_MS = 20;
/** How long before a failed write of marks is tried again (Redis unreachable). */
const MARK_RETRY_MS = 1_000;
/**
 * Unwritten marks kept while Redis is unreachable; past it the oldest are dropped. A dropped (or lost) mark only
 * makes a correction wait for that message until the ack floor passes it: the wait is longer, never shorter.
 */
const MAX_UNWRITTEN_MARKS = 100_000;
/** The sender of a stored message that names none: every follower waits for it. */
const ANYONE = "\u0000anyone";
/** Stored messages whose sender is read at once (reads of the stream in flight together). */
const SENDER_READS_AT_ONCE = 64;
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
  /** Marks not yet written (queued, or in the write under way): finished all the same. */
  readonly #unwritten = new Set<number>();
  #marks = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The write under way, if any; the next waits for it. */
  #writing: Promise<void> | undefined;

  constructor(options: SenderOrderOptions) {
    this.#options = options;
    const prefix = `${options.namespace}:order:${options.durable}`;
    this.#finishedKey = `${prefix}:finished`;
    this.#waitingKey = `${prefix}:waiting`;
    this.#floorKey = `${prefix}:floor`;
  }

  /**
   * The message at `seq` is finished at this stage: its effects are stored (call it only then). The mark is written
   * with the others of the next MARK_WRITE_MS, in one ZADD, after the message is acknowledged
   * (docs/decisions/0088-finished-marks-in-batches.md); until then this process counts it finished.
   */
  finished(seq: number): void {
    this.#unwritten.add(seq);
    if (this.#unwritten.size > MAX_UNWRITTEN_MARKS) {
      const oldest = this.#unwritten.values().next().value;
      if (oldest !== undefined) this.#unwritten.delete(oldest);
    }
    this.#schedule(this.#options.markWriteMs ?? MARK_WRITE_MS);
  }

  /** Writes every mark made so far now (at shutdown; tests). Rejects when Redis does; the marks stay queued. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#write();
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#write().catch(() => this.#schedule(MARK_RETRY_MS));
    }, delayMs);
    this.#timer.unref();
  }

  async #write(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing.catch(() => undefined);
    if (this.#unwritten.size === 0) return;
    const batch = [...this.#unwritten];
    const members = batch.flatMap((seq) => [seq, String(seq)]);
    this.#writing = (async () => {
      await this.#options.redis.zadd(this.#finishedKey, ...members);
      for (const seq of batch) this.#unwritten.delete(seq);
      const before = this.#marks;
      this.#marks += batch.length;
      if (Math.floor(before / TRIM_EVERY) !== Math.floor(this.#marks / TRIM_EVERY)) {
        await this.#trim().catch(() => undefined);
      }
    })();
    try {
      await this.#writing;
    } finally {
      this.#writing = undefined;
    }
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
    // Marks this process made: unwritten now, or written by the time the reads below are answered.
    const local = [...this.#unwritten];
    const [finished, waiting] = await Promise.all([
      redis.zrangebyscore(this.#finishedKey, `(${floor}`, `(${follower.seq}`),
      redis.zrangebyscore(this.#waitingKey, `(${floor}`, `(${follower.seq}`),
    ]);
    const done = new Set(finished.map(Number));
    for (const seq of local) done.add(seq);
    for (const seq of this.#unwritten) done.add(seq);
    const unrelated = new Set<number>();
    for (const member of waiting) {
      const entry = JSON.parse(member) as { seq: number; id: string; target: string };
      if (entry.id !== follower.target && entry.target !== follower.target) unrelated.add(entry.seq);
    }
    const unfinished: number[] = [];
    for (let seq = floor + 1; seq < follower.seq; seq++) {
      if (!done.has(seq) && !unrelated.has(seq)) unfinished.push(seq);
    }
    return !(await this.#anySenderOf(unfinished, (sender) => sender === follower.sender || sender === ANYONE));
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

  /**
   * Whether any of these stored messages has a sender that `matches`: the senders not known yet are read a chunk at
   * a time, the chunk's reads in flight together (one round trip's wait), and the reading stops at the first chunk
   * with a match — a correction behind a long unfinished window does not read the whole window at every look.
   */
  async #anySenderOf(seqs: readonly number[], matches: (sender: string | null) => boolean): Promise<boolean> {
    for (let at = 0; at < seqs.length; at += SENDER_READS_AT_ONCE) {
      const senders = await Promise.all(seqs.slice(at, at + SENDER_READS_AT_ONCE).map((seq) => this.#senderOf(seq)));
      if (senders.some(matches)) return true;
    }
    return false;
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

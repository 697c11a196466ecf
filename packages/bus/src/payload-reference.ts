import { hash } from "node:crypto";
import { CarehubError } from "@carehub/schemas";
import type { JetStreamManager, StreamConfig } from "@nats-io/jetstream";
import {
  BusPayloadReferenceInvalidError,
  BusPayloadReferenceMissingError,
  BusPayloadReferenceUnavailableError,
} from "./errors.ts";
import { HEADER } from "./headers.ts";
import { isJetStreamNotFound } from "./nats-errors.ts";
import type { StoredMessage } from "./redrive.ts";
import type { Topology } from "./topology.ts";

/**
 * OUTBOX by reference (docs/decisions/0109). A router's copy of a message for a receiver is the message's bytes as
 * received, which INGRESS already holds: the OUTBOX entry is then empty and `Carehub-Payload-Ref` names the INGRESS
 * copy, `<stream>:<seq>:<size>:<sha256>` (the envelope's `payload`). Every read of the entry through the bus (a
 * consumer's delivery, `bus.getMessage`, `bus.readPayload`) follows it, as it follows a claim check; a dead letter
 * and an operator's re-send store the bytes themselves again, so no longer-kept entry ever points at INGRESS.
 */
export interface PayloadReference {
  stream: string;
  seq: number;
  /** Bytes of the payload as received. */
  size: number;
  /** SHA-256 of the payload as received, hex. */
  sha256: string;
}

const REFERENCE = /^([A-Z0-9_-]+):(\d+):(\d+):([0-9a-f]{64})$/;

export function formatPayloadReference(ref: PayloadReference): string {
  return `${ref.stream}:${ref.seq}:${ref.size}:${ref.sha256}`;
}

export function parsePayloadReference(value: string): PayloadReference | undefined {
  const match = REFERENCE.exec(value);
  if (match === null) return undefined;
  const seq = Number(match[2]);
  const size = Number(match[3]);
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isSafeInteger(size)) return undefined;
  return { stream: match[1] as string, seq, size, sha256: match[4] as string };
}

/**
 * Resolved payloads kept for the next reader of the same message (another receiver's copy, whose consumer may be
 * some hundred messages behind the first one's): up to this many bytes in all, oldest out first; a payload over a
 * quarter of it is not kept.
 */
const RECENT_BYTES = 4 * 1024 * 1024;

/**
 * An INGRESS copy as read, and the SHA-256 of its bytes once a reader has computed it: the copies of one message for
 * several receivers hash it once between them, and each still compares its own reference's digest with it.
 */
interface Resolved {
  readonly stored: StoredMessage;
  sha256?: string;
}

/**
 * Follows payload references for the bus's readers, on OUTBOX entries only (`follows`). Only INGRESS is a target,
 * read as stored (its own header never followed: a target that carries one is INVALID). The copy read must be the one meant:
 * its size and its SHA-256 the reference's, always, so neither a stream re-created under the same name nor a
 * forged header can hand over another message's bytes. Reads of one reference in flight at once are
 * shared, and the last 4 MiB of payloads resolved are kept: the copies of one message for several receivers read INGRESS once,
 * and hash it once, each comparing its own reference's digest with that hash. The bytes handed out are the bytes
 * hashed, shared by the readers (as they were before the hash was kept): nothing in the hub writes into a payload
 * it read (a copy per reader cost as much as the hash it saves: docs/performance.md, cpr18 round).
 */
export class PayloadReferences {
  readonly #read: (stream: string, seq: number) => Promise<StoredMessage | null>;
  readonly #ingress: string;
  readonly #outbox: string;
  readonly #dlq: string;
  readonly #pending = new Map<string, Promise<Resolved>>();
  readonly #recent = new Map<string, Resolved>();
  #recentBytes = 0;

  constructor(read: (stream: string, seq: number) => Promise<StoredMessage | null>, topology: Topology) {
    this.#read = read;
    this.#ingress = topology.streams.ingress;
    this.#outbox = topology.streams.outbox;
    this.#dlq = topology.streams.dlq;
  }

  /**
   * Whether a message read from `stream` is read through its `Carehub-Payload-Ref`: an OUTBOX entry, or a dead letter
   * of one. Decided by the stream it was read from, never by its headers alone: INGRESS (whose headers an endpoint
   * writes) and every other stream keep their own bytes whatever header they carry.
   */
  follows(stream: string | undefined, header: (name: string) => string | undefined): boolean {
    if (stream === this.#outbox) return true;
    return stream === this.#dlq && header(HEADER.originalStream) === this.#outbox;
  }

  /** The payload `value` (a `Carehub-Payload-Ref` header) names. */
  async get(value: string): Promise<Uint8Array> {
    const ref = parsePayloadReference(value);
    // Never the value itself in the message (it goes to DLQ headers and events): its length only.
    if (ref === undefined) {
      throw new BusPayloadReferenceInvalidError(`malformed payload reference (${value.length} characters)`);
    }
    if (ref.stream !== this.#ingress) {
      throw new BusPayloadReferenceInvalidError(`payload reference to a stream other than ${this.#ingress}`);
    }
    const resolved = await this.#stored(ref);
    const stored = resolved.stored;
    if (stored.headers[HEADER.payloadRef] !== undefined) {
      throw new BusPayloadReferenceInvalidError(`${ref.stream} #${ref.seq} is itself a reference`);
    }
    if (stored.data.byteLength !== ref.size) {
      throw new BusPayloadReferenceInvalidError(
        `${ref.stream} #${ref.seq} holds ${stored.data.byteLength} bytes, the reference ${ref.size}`,
      );
    }
    // Always the digest: a hub id is derived from sender and message id (not one per INGRESS entry) and an INGRESS
    // header is the sender's to write, so neither can stand for "the bytes meant". The copy's digest is computed
    // once, every reference's compared with it.
    resolved.sha256 ??= hash("sha256", stored.data, "hex");
    if (resolved.sha256 !== ref.sha256) {
      throw new BusPayloadReferenceInvalidError(`${ref.stream} #${ref.seq} is not the payload the reference names`);
    }
    // The kept copy's bytes, hashed once, are handed to every reader of it: a reader must never write into a
    // payload it read (none does), or the next receiver's copy would carry its change unchecked.
    return stored.data;
  }

  #stored(ref: PayloadReference): Promise<Resolved> {
    const key = `${ref.stream}:${ref.seq}`;
    const recent = this.#recent.get(key);
    if (recent !== undefined) return Promise.resolve(recent);
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#fetch(ref)
        .then((stored): Resolved => ({ stored }))
        .finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
      pending.then(
        (resolved) => this.#keep(key, resolved),
        () => undefined,
      );
    }
    return pending;
  }

  #keep(key: string, resolved: Resolved): void {
    const size = resolved.stored.data.byteLength;
    if (size > RECENT_BYTES / 4 || this.#recent.has(key)) return;
    this.#recent.set(key, resolved);
    this.#recentBytes += size;
    for (const [oldKey, old] of this.#recent) {
      if (this.#recentBytes <= RECENT_BYTES) break;
      this.#recent.delete(oldKey);
      this.#recentBytes -= old.stored.data.byteLength;
    }
  }

  async #fetch(ref: PayloadReference): Promise<StoredMessage> {
    const name = `${ref.stream} #${ref.seq}`;
    let stored: StoredMessage | null;
    try {
      stored = await this.#read(ref.stream, ref.seq);
    } catch (error) {
      if (isJetStreamNotFound(error, "message") || isJetStreamNotFound(error, "stream")) {
        throw new BusPayloadReferenceMissingError(name, { cause: error });
      }
      // The target's own payload errors (a key no longer held, a claim check gone) say what is wrong themselves.
      if (error instanceof CarehubError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new BusPayloadReferenceUnavailableError(`referenced payload ${name} not read: ${reason}`, {
        cause: error,
      });
    }
    if (stored === null) throw new BusPayloadReferenceMissingError(name);
    return stored;
  }
}

/**
 * Keeps a reference inside what INGRESS is sure to hold: the OUTBOX entry must leave OUTBOX (its `max_age`) at
 * least this long before its INGRESS copy can age out. Covers clocks a little apart and the policy's cached view.
 */
export const OUTBOX_REFERENCE_MARGIN_MS = 60 * 60 * 1000;

/** How long the policy trusts its reading of the INGRESS and OUTBOX limits. */
const POLICY_REFRESH_MS = 60 * 1000;
/** After a failed reading of the limits, copies go inline; the limits are read again this soon. */
const POLICY_RETRY_MS = 1000;

interface Limits {
  /**
   * INGRESS drops by count or size (JetStream limits or the hub's size budget), or keeps fewer copies than OUTBOX:
   * a reference could outlive its target.
   */
  ingressBounded: boolean;
  ingressMaxAgeMs: number;
  outboxMaxAgeMs: number;
}

/**
 * Whether a router's copy may go by reference (docs/decisions/0109; only built while CAREHUB_OUTBOX_BY_REFERENCE is
 * on): only when INGRESS is sure to keep the copy longer than OUTBOX keeps the entry. Never while INGRESS keeps
 * fewer replicas than OUTBOX, nor while it may drop messages by size or count (its `max_bytes`,
 * `max_msgs`, or the hub's size budget `streamMaxBytes`, which purges INGRESS once intake has read it): then
 * every copy carries its bytes, as before. By age: the INGRESS copy stored at `storedAtMs` leaves at
 * `storedAtMs + INGRESS max_age`, the OUTBOX entry written now at `now + OUTBOX max_age`; the first must be at
 * least OUTBOX_REFERENCE_MARGIN_MS later. (Dead letters and re-sends store the bytes again: DLQ keeps longer.)
 * The limits are read from the servers' stream configs, the truth whatever set them, every POLICY_REFRESH_MS.
 */
export class OutboxReferencePolicy {
  readonly #jsm: JetStreamManager;
  readonly #topology: Topology;
  readonly #sizeBudgetBytes: number;
  readonly #now: () => number;
  #limits: { readAt: number; ttlMs: number; value: Promise<Limits | undefined> } | undefined;

  constructor(
    bus: { jsm: JetStreamManager; topology: Topology },
    options: { sizeBudgetBytes?: number | undefined; now?: () => number } = {},
  ) {
    this.#jsm = bus.jsm;
    this.#topology = bus.topology;
    this.#sizeBudgetBytes = options.sizeBudgetBytes ?? 0;
    this.#now = options.now ?? Date.now;
  }

  /** Whether an OUTBOX entry written now may point at the INGRESS copy stored at `storedAtMs`. */
  async allows(storedAtMs: number): Promise<boolean> {
    if (this.#sizeBudgetBytes > 0 || !Number.isFinite(storedAtMs)) return false;
    const limits = await this.#current();
    if (limits === undefined || limits.ingressBounded) return false;
    if (limits.ingressMaxAgeMs === 0) return true;
    if (limits.outboxMaxAgeMs === 0) return false;
    const ingressLeaves = storedAtMs + limits.ingressMaxAgeMs;
    const outboxLeaves = this.#now() + limits.outboxMaxAgeMs;
    return ingressLeaves - OUTBOX_REFERENCE_MARGIN_MS >= outboxLeaves;
  }

  #current(): Promise<Limits | undefined> {
    const now = this.#now();
    const known = this.#limits;
    if (known !== undefined && now - known.readAt < known.ttlMs) return known.value;
    const entry = { readAt: now, ttlMs: POLICY_REFRESH_MS, value: Promise.resolve<Limits | undefined>(undefined) };
    entry.value = this.#read().catch(() => {
      entry.ttlMs = POLICY_RETRY_MS;
      return undefined;
    });
    this.#limits = entry;
    return entry.value;
  }

  async #read(): Promise<Limits> {
    const [ingress, outbox] = await Promise.all([
      this.#jsm.streams.info(this.#topology.streams.ingress),
      this.#jsm.streams.info(this.#topology.streams.outbox),
    ]);
    return {
      // Fewer copies of INGRESS than of OUTBOX: a node's loss could take the target and leave the reference.
      ingressBounded: bounded(ingress.config) || (ingress.config.num_replicas ?? 1) < (outbox.config.num_replicas ?? 1),
      ingressMaxAgeMs: ingress.config.max_age / 1_000_000,
      outboxMaxAgeMs: outbox.config.max_age / 1_000_000,
    };
  }
}

/** A stream that drops messages by size or count, not by age alone. */
function bounded(config: Pick<StreamConfig, "max_bytes" | "max_msgs" | "max_msgs_per_subject">): boolean {
  return config.max_bytes > 0 || config.max_msgs > 0 || (config.max_msgs_per_subject ?? 0) > 0;
}

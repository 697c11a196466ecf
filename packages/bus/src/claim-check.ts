import { createHash } from "node:crypto";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { type ObjectStore, Objm } from "@nats-io/obj";
import { BusClaimCheckMissingError, BusClaimCheckUnavailableError } from "./errors.ts";
import { HEADER } from "./headers.ts";
import { type PayloadCipher, readablePayload, SEALED_STREAM_ROLES } from "./payload-encryption.ts";
import type { PayloadReferences } from "./payload-reference.ts";
import type { CarehubStreamConfig, StreamRole, Topology } from "./topology.ts";

/**
 * The streams whose messages may carry their payload by claim check: the hub's own message streams (the same ones
 * that are sealed). EVENTS and AUDIT hold small JSON; INBOX is read by endpoints, which cannot follow a claim check.
 */
export const CLAIM_CHECK_STREAM_ROLES: readonly StreamRole[] = SEALED_STREAM_ROLES;

/**
 * An object stored this recently is used again as it is (the router's copies of one message for each receiver, a
 * redelivery); an older one is stored afresh, so its age restarts with the message that now points at it and it
 * cannot expire before that message does.
 */
export const REUSE_WINDOW_MS = 60 * 60 * 1000;

/**
 * Claim check (issue 16, item 4): a payload larger than a NATS message can hold is put in the hub's object store
 * bucket (`<NS>_PAYLOADS`, named by its SHA-256) and the message carries only its name in `Carehub-Claim-Check`.
 * The bus is the only user: `publishMessage` puts, every read (`readStoredPayload`) fetches. Objects leave the
 * bucket when no stream message names them any more (`sweepClaimChecks`, docs/decisions/0061), and at the latest
 * by age, as long as the longest-kept stream that may point at one (provisioning, `payloadBucketAge`).
 */
export class ClaimCheck {
  /** Payloads up to this many bytes travel in the message itself. */
  readonly inlineLimit: number;
  readonly #js: JetStreamClient;
  readonly #bucket: string;
  readonly #streams: ReadonlySet<string>;
  readonly #streamOf: (subject: string) => string | undefined;
  #store: Promise<ObjectStore> | undefined;

  constructor(js: JetStreamClient, topology: Topology, inlineLimit: number) {
    this.#js = js;
    this.#bucket = topology.payloadBucket;
    this.#streams = new Set(CLAIM_CHECK_STREAM_ROLES.map((role) => topology.streams[role]));
    this.#streamOf = (subject) => topology.streamOf(subject);
    this.inlineLimit = inlineLimit;
  }

  /** Whether a payload of `size` bytes published on `subject` goes by claim check. */
  applies(subject: string, size: number): boolean {
    if (size <= this.inlineLimit) return false;
    const stream = this.#streamOf(subject);
    return stream !== undefined && this.#streams.has(stream);
  }

  /** Stores the payload (once for equal bytes within the reuse window) and returns the name to send. */
  async put(payload: Uint8Array): Promise<string> {
    const name = createHash("sha256").update(payload).digest("hex");
    try {
      const store = await this.#open();
      const existing = await store.info(name);
      if (existing !== null && !existing.deleted && Date.now() - Date.parse(existing.mtime) < REUSE_WINDOW_MS) {
        return name;
      }
      await store.putBlob({ name }, payload);
      return name;
    } catch (error) {
      this.#store = undefined;
      throw new BusClaimCheckUnavailableError(
        `claim check of ${payload.byteLength} bytes not stored: ${reason(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * After the message naming `name` was written: stores the payload again if a sweep deleted the object between
   * `put` and the write (it looked unreferenced and old just then), so a written reference never dangles.
   */
  async confirm(name: string, payload: Uint8Array): Promise<void> {
    try {
      const store = await this.#open();
      const existing = await store.info(name);
      if (existing === null || existing.deleted) await store.putBlob({ name }, payload);
    } catch (error) {
      this.#store = undefined;
      throw new BusClaimCheckUnavailableError(`claim check ${name} not confirmed: ${reason(error)}`, { cause: error });
    }
  }

  /** The payload a claim check names. */
  async get(name: string): Promise<Uint8Array> {
    let data: Uint8Array | null;
    try {
      data = await (await this.#open()).getBlob(name);
    } catch (error) {
      this.#store = undefined;
      throw new BusClaimCheckUnavailableError(`claim-checked payload ${name} not read: ${reason(error)}`, {
        cause: error,
      });
    }
    if (data === null) throw new BusClaimCheckMissingError(name);
    return data;
  }

  #open(): Promise<ObjectStore> {
    this.#store ??= new Objm(this.#js).open(this.#bucket);
    return this.#store;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * How payloads are kept at rest: sealed (a keyring is configured) and / or by claim check (too large to inline), and
 * how a reference to the INGRESS copy is followed (docs/decisions/0109; absent: a reference cannot be read).
 */
export interface PayloadAtRest {
  cipher: PayloadCipher | undefined;
  claimCheck: ClaimCheck | undefined;
  references?: PayloadReferences | undefined;
}

/**
 * The payload of a stored message as the hub reads it: fetched when it went by claim check, then opened when it was
 * sealed (a large payload is sealed first, then claim-checked), or, for an entry of OUTBOX (or a dead letter of one)
 * only, the INGRESS copy a reference names (itself read so, its own header never followed). `stream`: the stream the
 * message was read from (undefined: not known, a reference is not followed). One place for every reader.
 */
export async function readStoredPayload(
  deps: PayloadAtRest,
  data: Uint8Array,
  header: (name: string) => string | undefined,
  stream: string | undefined,
): Promise<Uint8Array> {
  const referenced = header(HEADER.payloadRef);
  // Only an OUTBOX entry (or its dead letter) is read through its reference: on any other stream, INGRESS above all,
  // whose headers an endpoint writes itself, the header means nothing and the message is its own bytes.
  if (referenced !== undefined && referenced !== "" && deps.references?.follows(stream, header) === true) {
    return deps.references.get(referenced);
  }
  const claimed = header(HEADER.claimCheck);
  let bytes = data;
  if (claimed !== undefined && claimed !== "") {
    if (deps.claimCheck === undefined) throw new BusClaimCheckMissingError(claimed);
    bytes = await deps.claimCheck.get(claimed);
  }
  return readablePayload(deps.cipher, bytes, header(HEADER.payloadKey));
}

/** How long the bucket keeps an object: as long as the longest-kept stream whose messages may point at one. */
export function payloadBucketAgeNanos(configs: readonly CarehubStreamConfig[], topology: Topology): number {
  const streams = new Set(CLAIM_CHECK_STREAM_ROLES.map((role) => topology.streams[role]));
  return Math.max(0, ...configs.filter((c) => streams.has(c.name)).map((c) => c.max_age));
}

/**
 * Creates the claim-check bucket, or brings its age and replicas to the wanted ones (raised, never lowered, like
 * the streams' replicas). Returns what changed, as provisioning reports it.
 */
export async function ensurePayloadBucket(
  js: JetStreamClient,
  jsm: JetStreamManager,
  bucket: string,
  wanted: { maxAgeNanos: number; replicas: number },
): Promise<string[]> {
  await new Objm(js).create(bucket, { ttl: wanted.maxAgeNanos, storage: "file", replicas: wanted.replicas });
  const stream = `OBJ_${bucket}`;
  const { config } = await jsm.streams.info(stream);
  const changes: string[] = [];
  const update: { max_age?: number; num_replicas?: number } = {};
  if (config.max_age !== wanted.maxAgeNanos) {
    changes.push(`max_age: ${config.max_age} → ${wanted.maxAgeNanos}`);
    update.max_age = wanted.maxAgeNanos;
  }
  if ((config.num_replicas ?? 1) < wanted.replicas) {
    changes.push(`num_replicas: ${config.num_replicas} → ${wanted.replicas}`);
    update.num_replicas = wanted.replicas;
  }
  if (changes.length > 0) await jsm.streams.update(stream, { ...config, ...update });
  return changes;
}

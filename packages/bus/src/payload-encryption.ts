import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { PayloadKeyring } from "@carehub/schemas";
import { BusPayloadKeyUnknownError, BusPayloadUnreadableError } from "./errors.ts";
import type { StreamRole } from "./topology.ts";

/**
 * The streams whose payloads are sealed when a keyring is configured: the ones that hold message content and are
 * read by the hub alone. EVENTS and AUDIT carry no patient identifier (ids, kinds, times); INBOX is an endpoint's
 * delivery, read by the endpoint with its own credentials, so it holds what the endpoint is sent
 * (docs/operations.md, "Payload encryption").
 */
export const SEALED_STREAM_ROLES: readonly StreamRole[] = ["ingress", "pipeline", "outbox", "dlq"];

const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What sealing adds to a payload: the nonce before the ciphertext and the tag after it. */
export const PAYLOAD_SEAL_OVERHEAD_BYTES = IV_BYTES + TAG_BYTES;

interface OpenKey {
  readonly id: string;
  readonly key: Buffer;
  /** Bound into the tag: a message re-labelled with another key id fails to open instead of decrypting wrongly. */
  readonly aad: Buffer;
}

/**
 * Seals payloads with the newest key of the keyring (AES-256-GCM, a fresh 12-byte nonce each, the key id as
 * associated data) and opens them with whichever key sealed them. The bus holds one and is the only caller:
 * every publish to a sealed stream goes through `seal`, every read through `open`.
 */
export class PayloadCipher {
  readonly #newest: OpenKey;
  readonly #keys: ReadonlyMap<string, OpenKey>;
  readonly #sealedStreams: ReadonlySet<string>;
  readonly #streamOf: (subject: string) => string | undefined;

  /** `undefined` for an empty keyring: payloads are stored as they are, and a sealed one cannot be opened. */
  static fromKeyring(
    keyring: PayloadKeyring,
    topology: { streams: Readonly<Record<StreamRole, string>>; streamOf(subject: string): string | undefined },
  ): PayloadCipher | undefined {
    const keys = keyring.map(({ id, base64 }) => ({
      id,
      key: Buffer.from(base64, "base64"),
      aad: Buffer.from(`carehub-payload:${id}`),
    }));
    const newest = keys[0];
    if (newest === undefined) return undefined;
    const sealed = new Set(SEALED_STREAM_ROLES.map((role) => topology.streams[role]));
    return new PayloadCipher(newest, keys, sealed, (subject) => topology.streamOf(subject));
  }

  private constructor(
    newest: OpenKey,
    keys: readonly OpenKey[],
    sealedStreams: ReadonlySet<string>,
    streamOf: (subject: string) => string | undefined,
  ) {
    this.#newest = newest;
    this.#keys = new Map(keys.map((k) => [k.id, k]));
    this.#sealedStreams = sealedStreams;
    this.#streamOf = streamOf;
  }

  /** The id of the key new messages are sealed with. */
  get currentKeyId(): string {
    return this.#newest.id;
  }

  /** Whether a message published on `subject` is stored sealed. */
  seals(subject: string): boolean {
    const stream = this.#streamOf(subject);
    return stream !== undefined && this.#sealedStreams.has(stream);
  }

  /** nonce ‖ ciphertext ‖ tag, and the id of the key that sealed it (sent in the Carehub-Payload-Key header). */
  seal(plaintext: Uint8Array): { data: Uint8Array; keyId: string } {
    const { id, key, aad } = this.#newest;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    cipher.final();
    return { data: Buffer.concat([iv, body, cipher.getAuthTag()]), keyId: id };
  }

  /** The plaintext of a payload sealed with `keyId`; a typed, permanent error when it cannot be had. */
  open(sealed: Uint8Array, keyId: string): Uint8Array {
    return openSealed(this.#keys.get(keyId), sealed, keyId);
  }
}

/**
 * Opens a sealed payload with its key. Without the key (removed from the keyring, or no keyring at all) or when the
 * bytes do not authenticate, the error says which: the message is kept (dead-lettered), never passed on unread.
 */
export function openSealed(key: OpenKey | undefined, sealed: Uint8Array, keyId: string): Uint8Array {
  if (key === undefined) throw new BusPayloadKeyUnknownError(keyId);
  if (sealed.byteLength < PAYLOAD_SEAL_OVERHEAD_BYTES) throw new BusPayloadUnreadableError(keyId);
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv(ALGORITHM, key.key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(key.aad);
  decipher.setAuthTag(bytes.subarray(bytes.byteLength - TAG_BYTES));
  const body = decipher.update(bytes.subarray(IV_BYTES, bytes.byteLength - TAG_BYTES));
  try {
    decipher.final();
  } catch (error) {
    throw new BusPayloadUnreadableError(keyId, { cause: error });
  }
  return body;
}

/**
 * The payload as the hub reads it: opened when its headers name a sealing key, as stored otherwise (written before
 * encryption was turned on, or on a stream that is not sealed).
 */
export function readablePayload(
  cipher: PayloadCipher | undefined,
  data: Uint8Array,
  keyId: string | undefined,
): Uint8Array {
  if (keyId === undefined || keyId === "") return data;
  if (cipher === undefined) throw new BusPayloadKeyUnknownError(keyId);
  return cipher.open(data, keyId);
}

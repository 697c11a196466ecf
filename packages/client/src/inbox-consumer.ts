import { AckPolicy, type ConsumerMessages, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import { isRetryable } from "./errors.ts";
import { createReceiver, type Delivery, type Receiver, type ReceiverOptions } from "./receiver.ts";

export interface InboxOptions extends ReceiverOptions {
  natsUrl: string | string[];
  /** The hub's namespace (default `carehub`). */
  namespace?: string;
  /** This endpoint's registry id: it reads `<ns>.inbox.<endpointId>` only. */
  endpointId: string;
  user?: string;
  pass?: string;
  /**
   * The endpoint's NATS nkey seed (`SU…`), when the hub's NATS authorization lists the endpoint's public key
   * (`auth.natsNkey`, written by `carehub nats-config`). Keep it secret; the hub never sees it.
   */
  nkeySeed?: string | Uint8Array;
  /**
   * Durable consumer name; default `sdk-<endpointId>`, the only name the hub's NATS authorization lets the
   * endpoint create and read.
   */
  consumerName?: string;
  /** How long to wait before a message whose acknowledgement could not be sent is delivered again. */
  retryDelayMs?: number;
  onError?: (error: unknown) => void;
}

export interface InboxSubscription {
  readonly receiver: Receiver;
  /** Resolves when consumption ended (after stop(), or when the connection closed). */
  readonly done: Promise<void>;
  /** Stops taking messages, waits for the one in hand, and closes the connection. */
  stop(): Promise<void>;
}

/** `<NS>_INBOX` and `<ns>.inbox.<endpoint>`, as docs/contracts.md spells them. */
export function inboxNames(namespace: string, endpointId: string): { stream: string; subject: string } {
  return {
    stream: `${namespace.toUpperCase().replaceAll("-", "_")}_INBOX`,
    subject: `${namespace}.inbox.${endpointId}`,
  };
}

/** `_INBOX_<endpoint>`: the reply-subject prefix an endpoint with its own NATS credentials may subscribe to. */
export function inboxReplyPrefix(endpointId: string): string {
  return `_INBOX_${endpointId}`;
}

/**
 * Consumes an endpoint's NATS inbox with a durable pull consumer, one message at a time so that the
 * hub's delivery order (a correction after what it corrects) is the order the application sees.
 * A message is acked on the stream once handled and acknowledged the MedCom way; nak'ed with a delay
 * when its acknowledgement could not be sent; terminated when it names nothing to answer.
 */
export async function consumeInbox(options: InboxOptions): Promise<InboxSubscription> {
  const receiver = createReceiver(options);
  const { stream, subject } = inboxNames(options.namespace ?? "carehub", options.endpointId);
  const durable = options.consumerName ?? `sdk-${options.endpointId}`;
  const retryDelayMs = options.retryDelayMs ?? 5_000;
  const seed = typeof options.nkeySeed === "string" ? new TextEncoder().encode(options.nkeySeed) : options.nkeySeed;
  const nc: NatsConnection = await connect({
    servers: options.natsUrl,
    ...(options.user === undefined ? {} : { user: options.user, pass: options.pass }),
    ...(seed === undefined ? {} : { authenticator: nkeyAuthenticator(seed) }),
    name: `carehub-client-${options.endpointId}`,
    // Replies (pulled messages among them) travel on reply subjects: under a prefix of its own the endpoint
    // may subscribe to, where no other endpoint can (docs/decisions/0009-nats-endpoint-credentials.md).
    inboxPrefix: inboxReplyPrefix(options.endpointId),
  });
  let messages: ConsumerMessages;
  try {
    // No account-info check: an endpoint's credentials do not open `$JS.API.INFO`.
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: subject,
      ack_wait: 60_000_000_000,
      max_ack_pending: 1_000,
    });
    const consumer = await jetstream(nc).consumers.get(stream, durable);
    // 5 s pull requests: on a NATS cluster a pull dies unnoticed with the consumer's leader, and the inbox would
    // sit idle until it expired (30 s by default) after an election (docs/decisions/0030).
    messages = await consumer.consume({ max_messages: 64, expires: 5_000 });
  } catch (error) {
    await nc.close();
    throw error;
  }

  const parts = new InboxParts();
  async function handle(message: JsMsg) {
    // A large message comes in parts (docs/decisions/0062): held unacknowledged until the last one is in, then
    // handled as one message and settled together, so a crash in between loses nothing (all are delivered again).
    const whole = parts.add(message);
    if (whole === undefined) return;
    try {
      await receiver.receive(deliveryFromNats(whole.last, whole.body));
      for (const part of whole.messages) part.ack();
    } catch (error) {
      options.onError?.(error);
      if (isRetryable(error)) {
        // Delivered again later: its parts are to be joined again, not taken for late repeats.
        parts.forget(whole.last.headers?.get("Carehub-Hub-Id") ?? "", whole.messages.length);
        for (const part of whole.messages) part.nak(retryDelayMs);
      }
      // No reason text: nats-server before 2.10 ignores a `+TERM <reason>` and would redeliver the message.
      else for (const part of whole.messages) part.term();
    }
  }

  const done = (async () => {
    for await (const message of messages) await handle(message);
  })();

  let stopping: Promise<void> | undefined;
  return {
    receiver,
    done,
    stop() {
      stopping ??= (async () => {
        messages.stop();
        await done.catch((error: unknown) => options.onError?.(error));
        await nc.drain();
      })();
      return stopping;
    },
  };
}

/** `Carehub-Chunk: <n>/<count>` on each part of a message delivered in parts (docs/contracts.md, "Headers"). */
const CHUNK_HEADER = "Carehub-Chunk";

/**
 * Collects the parts of messages delivered in parts, by hub id. `add` returns the whole message once its last
 * part is in (with every part's JetStream message, to settle them together), or undefined while parts are
 * missing; a message that came in one piece is returned at once. A part stored twice (a retry published it again
 * after the stream's duplicate window) is acknowledged at once, the copy held does the work; a part of a message
 * joined recently (a late repeat) is acknowledged and dropped, so no stray part is redelivered for ever.
 */
export class InboxParts {
  readonly #pending = new Map<string, { count: number; parts: Map<number, JsMsg> }>();
  readonly #joined = new Set<string>();

  add(message: JsMsg): { body: Uint8Array; last: JsMsg; messages: JsMsg[] } | undefined {
    const chunk = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(message.headers?.get(CHUNK_HEADER) ?? "");
    const hubId = message.headers?.get("Carehub-Hub-Id") ?? "";
    const index = Number(chunk?.[1]);
    const count = Number(chunk?.[2]);
    if (chunk === null || hubId === "" || index > count) {
      return { body: message.data, last: message, messages: [message] };
    }
    const key = `${hubId}/${count}`;
    if (this.#joined.has(key)) {
      message.ack();
      return undefined;
    }
    let entry = this.#pending.get(key);
    if (entry === undefined) {
      entry = { count, parts: new Map() };
      this.#pending.set(key, entry);
    }
    const held = entry.parts.get(index);
    if (held !== undefined && held.seq !== message.seq) {
      message.ack();
      return undefined;
    }
    entry.parts.set(index, message);
    if (entry.parts.size < count) return undefined;
    this.#pending.delete(key);
    this.#joined.add(key);
    if (this.#joined.size > JOINED_REMEMBERED) this.#joined.delete(this.#joined.values().next().value as string);
    const messages = Array.from({ length: count }, (_, i) => entry.parts.get(i + 1) as JsMsg);
    const body = new Uint8Array(messages.reduce((sum, part) => sum + part.data.byteLength, 0));
    let offset = 0;
    for (const part of messages) {
      body.set(part.data, offset);
      offset += part.data.byteLength;
    }
    return { body, last: message, messages };
  }

  /** A joined message the application did not take (it will come again): its parts are to be joined again. */
  forget(hubId: string, count: number): void {
    this.#joined.delete(`${hubId}/${count}`);
  }
}

/** How many joined messages are remembered to recognise late repeats of their parts. */
const JOINED_REMEMBERED = 10_000;

function deliveryFromNats(message: JsMsg, body: Uint8Array = message.data): Delivery {
  const headers = message.headers;
  const get = (name: string) => {
    const value = headers?.get(name);
    return value === undefined || value === "" ? undefined : value;
  };
  const delivery: Delivery = { body, contentType: get("Content-Type") };
  const hubId = get("Carehub-Hub-Id");
  const messageId = get("Carehub-Message-Id");
  const kind = get("Carehub-Kind");
  const sourceEndpoint = get("Carehub-Source-Endpoint");
  if (hubId !== undefined) delivery.hubId = hubId;
  if (messageId !== undefined) delivery.messageId = messageId;
  if (kind !== undefined) delivery.kind = kind;
  if (sourceEndpoint !== undefined) delivery.sourceEndpoint = sourceEndpoint;
  delivery.attempt = message.info.deliveryCount;
  return delivery;
}

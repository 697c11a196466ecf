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

  async function handle(message: JsMsg) {
    try {
      await receiver.receive(deliveryFromNats(message));
      message.ack();
    } catch (error) {
      options.onError?.(error);
      if (isRetryable(error)) message.nak(retryDelayMs);
      // No reason text: nats-server before 2.10 ignores a `+TERM <reason>` and would redeliver the message.
      else message.term();
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

function deliveryFromNats(message: JsMsg): Delivery {
  const headers = message.headers;
  const get = (name: string) => {
    const value = headers?.get(name);
    return value === undefined || value === "" ? undefined : value;
  };
  const delivery: Delivery = { body: message.data, contentType: get("Content-Type") };
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

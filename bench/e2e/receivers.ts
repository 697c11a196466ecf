/**
 * The receiving side of a bench run: every delivery counted by message id (a loss or a duplicate fails the
 * run), gateway → receiver latency taken against the time the driver sent the message.
 *   plain   a webhook server answering 200 / a JetStream consumer acking the inbox: no MedCom acknowledgement
 *   sdk     @carehub/client's webhook handler (verifying signatures) / consumeInbox: acknowledges every message
 *           through the hub, as a real system does; the senders' SDK handlers count the acknowledgements.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { consumeInbox, createClient, createWebhookHandler, inboxNames } from "@carehub/client";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { nowMs } from "./window.ts";

/** How long a wait goes on past its timeout while no new id arrives (waitFor). */
const STALL_MS = 30_000;

/** Counts arrivals by id; latency against `sentAt`. */
export class DeliveryCounter {
  readonly counts = new Map<string, number>();
  readonly latenciesMs: number[] = [];
  duplicates = 0;
  #waiters: Array<() => void> = [];
  /** performance.now() of every arrival, in order. */
  readonly #arrivals: number[] = [];

  readonly sentAt: Map<string, number>;

  constructor(sentAt: Map<string, number>) {
    this.sentAt = sentAt;
  }

  /** One arrival; `sentAtMs` when the message carries its send time (else the driver's record is used). */
  record(id: string, sentAtMs?: number): void {
    this.#arrivals.push(performance.now());
    const seen = this.counts.get(id) ?? 0;
    this.counts.set(id, seen + 1);
    if (seen > 0) this.duplicates++;
    else {
      const sent = sentAtMs ?? this.sentAt.get(id);
      if (sent !== undefined) this.latenciesMs.push(nowMs() - sent);
    }
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** performance.now() of every arrival at or after `at`, in order. */
  arrivalsAfter(at: number): number[] {
    return this.#arrivals.filter((t) => t >= at);
  }

  get distinct(): number {
    return this.counts.size;
  }

  /**
   * Resolves when `expected` distinct ids arrived, or false once `timeoutMs` has passed and no new id arrived for
   * STALL_MS: a machine slower than the timeout's guess is waited for while deliveries still come, so the run's
   * "lost" counts what stopped arriving, not what was late.
   */
  async waitFor(expected: number, timeoutMs: number): Promise<boolean> {
    let deadline = Date.now() + timeoutMs;
    let seen = this.counts.size;
    while (this.counts.size < expected) {
      if (this.counts.size > seen) {
        seen = this.counts.size;
        deadline = Math.max(deadline, Date.now() + STALL_MS);
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1_000));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Ids in `expected` never delivered, and ids delivered that were never sent. */
  check(expected: Iterable<string>): { missing: string[]; unexpected: string[] } {
    const want = new Set(expected);
    return {
      missing: [...want].filter((id) => !this.counts.has(id)),
      unexpected: [...this.counts.keys()].filter((id) => !want.has(id)),
    };
  }
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface WebhookServer {
  url: string;
  /** What answers deliveries from now on (an SDK handler needs the hub's URL, known only after the start). */
  use(handler: Handler): void;
  /** What answers deliveries now. */
  handler(): Handler;
  close(): Promise<void>;
}

/** A webhook server answering 503 (the hub retries) until given a handler. */
export async function listen(): Promise<WebhookServer> {
  let current: Handler = (_request, response) => void response.writeHead(503).end();
  const server: Server = createServer((request, response) => current(request, response));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/messages`,
    use: (handler) => {
      current = handler;
    },
    handler: () => current,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Takes every delivery (200) and counts it. */
export function plainWebhook(counter: () => DeliveryCounter): Handler {
  return (request, response) => {
    request.resume();
    request.on("end", () => {
      counter().record(String(request.headers["carehub-message-id"] ?? ""));
      response.writeHead(200).end();
    });
  };
}

export interface SdkEndpoint {
  hubUrl: string;
  endpointId: string;
  token: string;
  signingSecret: string;
}

/** A webhook built on the SDK: verifies the signature, acknowledges through the hub, counts acknowledgements. */
export function sdkWebhook(
  endpoint: SdkEndpoint,
  messages: () => DeliveryCounter,
  acks: () => DeliveryCounter,
): Handler {
  return createWebhookHandler({
    client: createClient({ baseUrl: endpoint.hubUrl, token: endpoint.token, endpointId: endpoint.endpointId }),
    signingSecrets: [endpoint.signingSecret],
    onMessage: (received) => void messages().record(received.message.messageId),
    onAcknowledgement: (ack) => void acks().record(ack.respondsTo),
    onError: (error) => console.error(`bench: ${endpoint.endpointId} could not take a delivery`, error),
  });
}

export interface InboxReader {
  stop(): Promise<void>;
}

/** Reads an endpoint's NATS inbox with a plain JetStream consumer (ack each), counting by message id. */
export async function plainInbox(
  natsUrl: string,
  namespace: string,
  endpointId: string,
  counter: () => DeliveryCounter,
): Promise<InboxReader> {
  const nc: NatsConnection = await connect({ servers: natsUrl, name: `bench-inbox-${endpointId}` });
  const { stream, subject } = inboxNames(namespace, endpointId);
  const jsm = await jetstreamManager(nc);
  const durable = `bench-${endpointId}`;
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: subject });
  const messages = await jetstream(nc)
    .consumers.get(stream, durable)
    .then((c) => c.consume({ max_messages: 256 }));
  const done = (async () => {
    for await (const m of messages) {
      counter().record(m.headers?.get("Carehub-Message-Id") ?? "");
      m.ack();
    }
  })();
  return {
    stop: async () => {
      await messages.close();
      await done;
      await nc.drain();
    },
  };
}

/** Reads an endpoint's NATS inbox through the SDK, which acknowledges every message through the hub. */
export async function sdkInbox(
  natsUrl: string,
  namespace: string,
  endpoint: Omit<SdkEndpoint, "signingSecret">,
  messages: () => DeliveryCounter,
  acks: () => DeliveryCounter,
): Promise<InboxReader> {
  const subscription = await consumeInbox({
    natsUrl,
    namespace,
    endpointId: endpoint.endpointId,
    client: createClient({ baseUrl: endpoint.hubUrl, token: endpoint.token, endpointId: endpoint.endpointId }),
    onMessage: (received) => void messages().record(received.message.messageId),
    onAcknowledgement: (ack) => void acks().record(ack.respondsTo),
    onError: (error) => console.error(`bench: ${endpoint.endpointId} inbox error`, error),
  });
  return { stop: () => subscription.stop() };
}

/**
 * How the bench's senders hand messages to the hub. `http`: POST /v1/messages with their bearer token (hub.ts).
 * `nats`: as an integrating system with its own NATS credentials does (docs/contracts.md, "Who may publish on
 * INGRESS"): one connection per sender, with that endpoint's reply prefix, an acked JetStream publish of the
 * bytes as they are to its own `<ns>.ingress.<endpoint>` subject, with the content type and the sender's message
 * id as the JetStream dedup id (a publish retried after a lost ack is stored once). The SDK has no publisher for
 * this path, so the plain NATS client it is. The bench's servers have no authorization: the permissions that
 * bind an endpoint to its own subject are tested in services/hub/src/nats-config.int.test.ts.
 */
import { inboxReplyPrefix } from "@carehub/client";
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import type { BenchMessage } from "./messages.ts";

export type Feed = "http" | "nats";

const PUBLISH_ATTEMPTS = 3;

export interface IngressFeed {
  /** Resolves with the INGRESS sequence the message was stored at. */
  send(message: Pick<BenchMessage, "id" | "body" | "contentType" | "from">): Promise<number>;
  close(): Promise<void>;
}

export async function natsIngressFeed(
  natsUrl: string,
  namespace: string,
  senders: readonly string[],
): Promise<IngressFeed> {
  const connections = new Map<string, NatsConnection>();
  const clients = new Map<string, JetStreamClient>();
  for (const sender of senders) {
    const nc = await connect({
      servers: natsUrl,
      name: `bench-sender-${sender}`,
      inboxPrefix: inboxReplyPrefix(sender),
    });
    connections.set(sender, nc);
    clients.set(sender, jetstream(nc));
  }
  return {
    async send(message) {
      const js = clients.get(message.from);
      if (js === undefined) throw new Error(`bench: no NATS connection for sender ${message.from}`);
      const h = headers();
      h.set("Content-Type", message.contentType);
      for (let attempt = 1; ; attempt++) {
        try {
          const ack = await js.publish(`${namespace}.ingress.${message.from}`, message.body, {
            msgID: message.id,
            headers: h,
          });
          return ack.seq;
        } catch (error) {
          if (attempt >= PUBLISH_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        }
      }
    },
    async close() {
      for (const nc of connections.values()) await nc.drain();
    },
  };
}

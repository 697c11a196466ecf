import { createInbox, type Msg, type NatsConnection, type Subscription } from "@nats-io/nats-core";

/**
 * A new inbox under the connection's own reply prefix (its `inboxPrefix` option, `_INBOX` by default), as
 * nats-core's `request` makes them: a client whose permissions only allow replies under its prefix (the SDK's
 * endpoints, packages/registry/src/nats-authorization.ts) could not subscribe to `_INBOX.>`.
 */
export function connectionInbox(nc: NatsConnection): string {
  // NatsConnectionImpl keeps its connect options; the NatsConnection interface does not name them.
  const options = (nc as unknown as { options?: { inboxPrefix?: unknown } }).options;
  const prefix = typeof options?.inboxPrefix === "string" ? options.inboxPrefix : undefined;
  return createInbox(prefix);
}

/**
 * One reply subscription for many requests on a connection: each request sends `replyTo(token)` as its reply
 * subject and the answer comes to `onReply(token, msg)`. The shared mechanism of the bus's publish acks and ack
 * confirmations (docs/decisions/0115): one subscription and a map entry per request, where nats-core's `request`
 * makes a timer, deferreds and an error with a stack trace for each.
 */
export interface TokenReplies {
  readonly sub: Subscription;
  replyTo(token: number): string;
}

export function subscribeTokenReplies(
  nc: NatsConnection,
  onReply: (token: number, msg: Msg) => void,
  onError: (error: Error) => void,
): TokenReplies {
  const inbox = connectionInbox(nc);
  const sub = nc.subscribe(`${inbox}.*`, {
    callback: (error, msg) => {
      if (error) onError(error);
      else onReply(Number(msg.subject.slice(inbox.length + 1)), msg);
    },
  });
  return { sub, replyTo: (token) => `${inbox}.${token}` };
}

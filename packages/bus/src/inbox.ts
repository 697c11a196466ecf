import { createInbox, type NatsConnection } from "@nats-io/nats-core";

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

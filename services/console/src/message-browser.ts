import type { Bus } from "@carehub/bus";
import { findFirstCopy, ledgerKeys } from "@carehub/ledger";
import type { RegistrySource } from "@carehub/registry";
import type { MessageLifecycle, MessagePage, MessageSummary } from "@carehub/schemas";
import type { ReadModelQueries } from "@carehub/store";
import type { Redis } from "ioredis";
import { prettyPayload } from "./pretty-payload.ts";

/** A console search; at most one of hubId / messageId, or the listing filters. The patient is a CPR number. */
export interface MessageSearch {
  hubId?: string;
  messageId?: string;
  sender?: string;
  receiver?: string;
  kind?: string;
  status?: string;
  from?: string;
  to?: string;
  patient?: string;
  cursor?: string;
  limit?: number;
}

export interface MessagePayload {
  contentType: string;
  /** The bytes as received, pretty-printed when they are JSON or XML. */
  text: string;
  size: number;
}

export interface MessageBrowser {
  search(query: MessageSearch): Promise<MessagePage>;
  get(hubId: string): Promise<MessageLifecycle | undefined>;
  /** The payload exactly as INGRESS stored it (found through the ledger's first-copy record of the message). */
  payload(record: MessageLifecycle): Promise<MessagePayload | undefined>;
}

/**
 * The message browser over the read model, the message ledger and INGRESS. A hub id is a direct read; a
 * sender's message id is the ledger's first-copy record under (sender, message id) — every registered sender
 * when none is given; everything else is the read model's indexed listing.
 */
export function messageBrowser(deps: {
  store: ReadModelQueries;
  redis: Redis;
  bus: Bus;
  registry: RegistrySource;
  namespace: string;
}): MessageBrowser {
  const ledger = ledgerKeys(deps.namespace);
  const firstCopy = (sender: string, messageId: string) => findFirstCopy(deps.redis, ledger, sender, messageId);
  const summaryOf = (record: MessageLifecycle): MessageSummary => ({
    hubId: record.hubId,
    ...(record.messageId === undefined ? {} : { messageId: record.messageId }),
    ...(record.kind === undefined ? {} : { kind: record.kind }),
    ...(record.sender === undefined ? {} : { sender: record.sender }),
    receivers: record.receivers,
    status: record.status,
    ackOverdue: record.ackOverdue,
    receivedAt: record.receivedAt,
  });
  const byIds = async (hubIds: string[]): Promise<MessagePage> => {
    const found = await Promise.all([...new Set(hubIds)].map((id) => deps.store.getMessage(id)));
    const items = found.filter((r): r is MessageLifecycle => r !== undefined).map(summaryOf);
    return { items, nextCursor: null };
  };
  return {
    async search(query) {
      if (query.hubId !== undefined) return byIds([query.hubId]);
      if (query.messageId !== undefined) {
        const messageId = query.messageId;
        const senders =
          query.sender !== undefined
            ? [query.sender]
            : deps.registry
                .current()
                .endpoints()
                .map((e) => e.id);
        const copies = await Promise.all(senders.map((sender) => firstCopy(sender, messageId)));
        return byIds(copies.flatMap((copy) => (copy === undefined ? [] : [copy.hubId])));
      }
      const { hubId: _h, messageId: _m, ...filters } = query;
      return deps.store.listMessages(filters as Parameters<ReadModelQueries["listMessages"]>[0]);
    },
    get: (hubId) => deps.store.getMessage(hubId),
    async payload(record) {
      if (record.sender === undefined || record.messageId === undefined) return undefined;
      const copy = await firstCopy(record.sender, record.messageId);
      if (copy?.seq === undefined || copy.hubId !== record.hubId) return undefined;
      const stored = await deps.bus.getMessage(deps.bus.topology.streams.ingress, copy.seq);
      if (stored === null) return undefined;
      const contentType = record.contentType ?? stored.headers["Content-Type"] ?? "application/octet-stream";
      const raw = new TextDecoder().decode(stored.data);
      return { contentType, text: prettyPayload(raw, contentType), size: stored.data.byteLength };
    },
  };
}

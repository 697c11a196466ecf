import type { AcknowledgementCode } from "@carehub/schemas";

/** One issue carried by an acknowledgement (OperationOutcome issue / XCTL refuse code). */
export interface AckIssue {
  severity: "information" | "warning" | "error" | "fatal";
  /** A MedCom acknowledgement issue-details code (e.g. MSG_BAD_FORMAT) or, for OIOXML, a refuse code. */
  code: string;
  text?: string;
}

/**
 * What a receiver remembers about a message it has handled: enough to send the very same
 * acknowledgement again when a copy of the message comes back (MedCom: a duplicate gets the same
 * acknowledgement content as the first copy).
 */
export interface SeenRecord {
  /** The id of the acknowledgement message sent for the first copy (empty when none was sent). */
  ackMessageId: string;
  code: AcknowledgementCode;
  issues: AckIssue[];
  firstSeenAt: string;
}

/**
 * Where a receiver remembers the messages it has handled, keyed by sender + message id.
 * The default is in memory; a system that restarts should pass a durable one (Redis, its database).
 */
export interface SeenStore {
  get(key: string): Promise<SeenRecord | undefined> | SeenRecord | undefined;
  set(key: string, record: SeenRecord): Promise<void> | void;
}

/** The key a receiver remembers a message by: message ids are unique per sender only. */
export function seenKey(sender: string, messageId: string): string {
  return `${sender}\u0000${messageId}`;
}

/** An in-memory least-recently-used store; forgets the oldest entry past `maxEntries`. */
export interface MemorySeenStore extends SeenStore {
  get(key: string): SeenRecord | undefined;
  set(key: string, record: SeenRecord): void;
  size(): number;
}

export function createMemorySeenStore(options: { maxEntries?: number } = {}): MemorySeenStore {
  const maxEntries = options.maxEntries ?? 100_000;
  const entries = new Map<string, SeenRecord>();
  return {
    get(key) {
      const record = entries.get(key);
      if (record !== undefined) {
        // Map keeps insertion order: re-inserting marks the entry as most recently used.
        entries.delete(key);
        entries.set(key, record);
      }
      return record;
    },
    set(key, record) {
      entries.delete(key);
      entries.set(key, record);
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
    size: () => entries.size,
  };
}

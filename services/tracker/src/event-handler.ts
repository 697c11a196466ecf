import type { LifecycleEvent } from "@carehub/schemas";
import { factKey, type MessageChange, type ReadModelStore } from "@carehub/store";

type EventStore = Pick<ReadModelStore, "applyEvent" | "applyChanges" | "updateEntity">;

/**
 * Folds one lifecycle event into the read model: the message's record, and for a `stale` event the mark on
 * the referral or task it names. Idempotent: a redelivered event changes nothing.
 */
export async function foldEvent(store: EventStore, event: LifecycleEvent): Promise<void> {
  await store.applyEvent(event);
  await markStale(store, event);
}

/**
 * Folds a batch of lifecycle events and record-only envelopes: every message record in one store call (one
 * round trip when nothing races), then the stale marks one by one (rare). Same result as foldEvent on each
 * event and foldEnvelope on each envelope, in any order.
 */
export async function foldChanges(store: EventStore, changes: readonly MessageChange[]): Promise<void> {
  await store.applyChanges(changes);
  for (const change of changes) if ("event" in change) await markStale(store, change.event);
}

async function markStale(store: EventStore, event: LifecycleEvent): Promise<void> {
  // A stale event from before identity was scoped names no originator; its entity key is gone after a rebuild.
  if (event.type === "stale" && event.subject.originator !== undefined) {
    await store.updateEntity(
      {
        subject: { ...event.subject, originator: event.subject.originator },
        seenAt: Date.parse(event.at),
        staleMark: factKey({ status: event.status, occurredAt: Date.parse(event.since) }),
      },
      { recordEffects: false },
    );
  }
}

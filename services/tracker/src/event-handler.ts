import type { LifecycleEvent } from "@carehub/schemas";
import { factKey, type ReadModelStore } from "@carehub/store";

/**
 * Folds one lifecycle event into the read model: the message's record, and for a `stale` event the mark on
 * the referral or task it names. Idempotent: a redelivered event changes nothing.
 */
export async function foldEvent(
  store: Pick<ReadModelStore, "applyEvent" | "updateEntity">,
  event: LifecycleEvent,
): Promise<void> {
  await store.applyEvent(event);
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

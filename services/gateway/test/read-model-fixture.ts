import type { LifecycleEvent } from "@carehub/schemas";
import type { ReadModelStore } from "@carehub/store";

/** A lifecycle event as the tracker would store it (only the fields a test needs; the store reads the rest). */
export function lifecycleEvent(
  type: string,
  hubId: string,
  at: number,
  extra: Record<string, unknown>,
): LifecycleEvent {
  const suffix = [extra.endpoint, extra.attempt].filter((x) => x !== undefined).join(":");
  return {
    schemaVersion: 1,
    type,
    hubId,
    at: new Date(at).toISOString(),
    eventId: `${hubId}:${type}${suffix ? `:${suffix}` : ""}`,
    ...extra,
  } as unknown as LifecycleEvent;
}

/**
 * The read model the query-API tests start from: `count` referrals `msg-0…` (message ids `m-0…`) from gp-1,
 * routed to hosp-1 a second apart from `t0`, and referral REF-1 sent by gp-1 to hosp-1.
 */
export async function seedReferrals(store: ReadModelStore, count: number, t0: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const hubId = `msg-${i}`;
    const base = { sourceEndpoint: "gp-1", kind: "referral" as const, messageId: `m-${i}` };
    await store.applyEvent(
      lifecycleEvent("received", hubId, t0 + i * 1_000, { ...base, contentType: "application/fhir+json", size: 10 }),
    );
    await store.applyEvent(
      lifecycleEvent("routed", hubId, t0 + i * 1_000 + 5, { ...base, receivers: ["hosp-1"], ruleCopies: [] }),
    );
  }
  await store.updateEntity(
    {
      subject: { type: "referral", originator: "gp-1", id: "REF-1" },
      seenAt: t0,
      creation: { endpoint: "gp-1", counterparts: ["hosp-1"] },
      fact: { status: "sent", occurredAt: t0, sources: ["msg-0"], knownBy: ["gp-1", "hosp-1"], by: ["gp-1"] },
    },
    { recordEffects: false },
  );
}

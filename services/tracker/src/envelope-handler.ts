import type { Envelope } from "@carehub/schemas";
import type { EntityState, ReadModelStore } from "@carehub/store";
import { entityUpdatesFor, type PartyResolver, subjectOf } from "./status-facts.ts";

export interface EnvelopeFoldDeps {
  store: Pick<ReadModelStore, "applyEnvelope" | "updateEntity">;
  /** The hub's own endpoint id: status updates from it are status returns, not news. */
  hubEndpointId: string;
  resolver: PartyResolver;
  /**
   * Carries out an entity's pending effects (events, status returns). Absent while rebuilding: the state
   * is rebuilt exactly, but nothing is announced or sent again.
   */
  carryOut?: (state: EntityState) => Promise<void>;
}

/**
 * Folds one canonical envelope from PIPELINE: what it adds to the message's record (subject, patient hash,
 * links), then the business facts it carries into its referral / task / appointment, then whatever those
 * changes must announce. Each step is idempotent, so a redelivery after a crash at any point finishes the job.
 */
export async function foldEnvelope(deps: EnvelopeFoldDeps, envelope: Envelope): Promise<void> {
  const subject = subjectOf(envelope);
  await deps.store.applyEnvelope(envelope, subject === undefined ? {} : { subject });
  for (const update of entityUpdatesFor(envelope, deps.hubEndpointId, deps.resolver)) {
    const { state } = await deps.store.updateEntity(update, { recordEffects: deps.carryOut !== undefined });
    if (deps.carryOut !== undefined) await deps.carryOut(state);
  }
}

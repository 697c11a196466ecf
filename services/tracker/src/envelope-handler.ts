import type { Envelope } from "@carehub/schemas";
import {
  type EntityState,
  entityParties,
  forwardedEntity,
  type MessageChange,
  type ReadModelStore,
  resolveStatusSubject,
} from "@carehub/store";
import { careLinksFor } from "./care-links.ts";
import { addresseeOf, entityUpdatesFor, type PartyResolver, type StatusContext, subjectOf } from "./status-facts.ts";

export interface EnvelopeFoldDeps {
  store: Pick<
    ReadModelStore,
    "applyEnvelope" | "updateEntity" | "getEntityState" | "originatorsOf" | "recordCareLinks"
  >;
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
 * changes must announce, then where a referral or task is filed in the care overview (care-links.ts). Each step is idempotent, so a redelivery after a crash at any point finishes the job.
 */
export async function foldEnvelope(deps: EnvelopeFoldDeps, envelope: Envelope): Promise<void> {
  const status = await statusContext(deps, envelope);
  const subject = subjectOf(envelope, status);
  await deps.store.applyEnvelope(envelope, subject === undefined ? {} : { subject });
  for (const update of entityUpdatesFor(envelope, deps.hubEndpointId, deps.resolver, status)) {
    const { state } = await deps.store.updateEntity(update, { recordEffects: deps.carryOut !== undefined });
    if (deps.carryOut !== undefined) await deps.carryOut(state);
  }
  const care = careLinksFor(envelope, deps.resolver, status);
  if (care !== undefined) await deps.store.recordCareLinks(care);
}

/**
 * What an envelope changes when it carries no business status (a lab result, a care communication, …): only its
 * message's record, which the tracker folds together with the lifecycle events in hand (one script call for
 * all, event-batcher.ts). Same result as foldEnvelope, which has nothing else to do for it. Undefined: the
 * envelope updates a referral, task or appointment, or files something in the care overview, and goes through
 * foldEnvelope, one at a time in the order PIPELINE delivers.
 */
export function recordOnlyChange(
  envelope: Envelope,
  deps: Pick<EnvelopeFoldDeps, "hubEndpointId" | "resolver">,
): MessageChange | undefined {
  // Asked without the status context, which only tells which entity: a referral, task requisition, forward or
  // status update always updates one (and only referrals and task requisitions are filed in the care overview).
  if (entityUpdatesFor(envelope, deps.hubEndpointId, deps.resolver).length > 0) return undefined;
  return { envelope };
}

/**
 * Which envelopes with business facts the tracker folds one after another (KeyedOrder of @carehub/bus, decisions 0113, 0120): every
 * referral, task or appointment id whose state the fold reads or writes, so that each envelope waits for every
 * earlier one that touches what it reads.
 * - its own entity: a referral, its forwards (forwardedEntity reads that id's originators) and status updates
 *   (resolveStatusSubject reads them) share `referral:<id>`; a task's `task:<id>`; an appointment's status update
 *   `appointment:<id>`, with or without `basedOn`;
 * - an appointment's `basedOn`: its status update resolves its originator from that referral's or task's parties,
 *   inherits them, and writes the appointment into it;
 * - a referral's or task's `packageReferralId`: joining the course reads the package referral's originators,
 *   course record and counterparts (CareOverviewStore#courseToJoin), which its creation and forwards write.
 * Nothing else is read across entities (the store's updateEntity reads only its own key; the effects read only
 * the state given). The originator is left out (it is only known after reading the store), so two originators'
 * equal ids share a queue: more waiting, never less.
 */
export function businessOrderKeys(envelope: Envelope): string[] {
  const content = envelope.content;
  switch (content.kind) {
    case "referral":
    case "task-requisition": {
      const own = content.kind === "referral" ? `referral:${content.referralId}` : `task:${content.taskId}`;
      return content.packageReferralId === undefined ? [own] : [own, `referral:${content.packageReferralId}`];
    }
    case "status-update": {
      const own = `${content.subject.type}:${content.subject.id}`;
      const based = content.subject.type === "appointment" ? content.basedOn : undefined;
      return based === undefined ? [own] : [own, `${based.type}:${based.id}`];
    }
    default:
      return ["other"];
  }
}

/**
 * For a forwarded referral or task: the entity it belongs to (forwarded by one of its parties). For a status update: which originator's entity it is about (the one rule of status-subject.ts, which the
 * router applies too), and for an appointment the parties of the referral or task it was booked for.
 */
async function statusContext(deps: EnvelopeFoldDeps, envelope: Envelope): Promise<StatusContext | undefined> {
  const content = envelope.content;
  if (envelope.links.forwards !== undefined && (content.kind === "referral" || content.kind === "task-requisition")) {
    const subject =
      content.kind === "referral"
        ? { type: "referral" as const, id: content.referralId }
        : { type: "task" as const, id: content.taskId };
    const forwardOf = await forwardedEntity(deps.store, subject, envelope.sourceEndpoint);
    return forwardOf === undefined ? undefined : { subject: forwardOf, forwardOf };
  }
  if (content.kind !== "status-update") return undefined;
  const resolved = await resolveStatusSubject(deps.store, {
    subject: content.subject,
    basedOn: content.subject.type === "appointment" ? content.basedOn : undefined,
    sender: envelope.sourceEndpoint,
    addressee: addresseeOf(envelope, deps.resolver),
  });
  if (resolved.basedOn === undefined) return resolved;
  const based = await deps.store.getEntityState(resolved.basedOn);
  return based === undefined ? resolved : { ...resolved, basedOnParties: entityParties(based) };
}

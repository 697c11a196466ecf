import type { Envelope } from "@carehub/schemas";
import { type CareLinkInput, carePackage } from "@carehub/store";
import { type PartyResolver, resolveAll, type StatusContext, subjectOf } from "./status-facts.ts";

/**
 * What a referral or task message adds to the care overview (issue 12; docs/contracts.md, "Package courses"):
 * - the item, filed under its patient (keyed hash, by the store) and under its parties (sender and receivers);
 * - a package referral (a category in the package code table) opens a course keyed by itself;
 * - a referral or task naming a package referral (`packageReferralId`) asks to join that course — the store lets
 *   it only when its sender is a party of the package referral and the patient is the same;
 * - a forward by a party makes its receivers parties; it files nothing under a patient (the forwarder does not
 *   decide whose overview an item is in).
 * Every other kind adds nothing: statuses change items, they do not file them.
 */
export function careLinksFor(
  envelope: Envelope,
  resolver: PartyResolver,
  status?: StatusContext,
): CareLinkInput | undefined {
  const content = envelope.content;
  if (content.kind !== "referral" && content.kind !== "task-requisition") return undefined;
  const seenAt = Date.parse(envelope.receivedAt);
  const receivers = resolveAll(envelope.receivers, resolver);
  if (status?.forwardOf !== undefined) return { item: status.forwardOf, seenAt, parties: receivers };
  const item = subjectOf(envelope);
  if (item === undefined) return undefined;
  const links: CareLinkInput = { item, seenAt, parties: [envelope.sourceEndpoint, ...receivers] };
  if (envelope.patient !== undefined) links.patient = envelope.patient.value;
  if (content.kind === "referral" && carePackage(content.category) !== undefined) links.opensCourse = content.category;
  if (content.packageReferralId !== undefined) {
    links.joinsCourse = { packageReferralId: content.packageReferralId, sender: envelope.sourceEndpoint };
  }
  return links;
}

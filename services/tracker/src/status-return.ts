import { hubMessageIds } from "@carehub/ledger";
import { buildStatusUpdate, type MessagingOrganization } from "@carehub/medcom-fhir";
import type { Endpoint, EventOf, HubIdentity } from "@carehub/schemas";
import type { PendingEffect, SubjectRef } from "@carehub/store";

export type StatusReturnEffect = Extract<PendingEffect, { type: "status-return" }>;

/** A hub-made status update, ready for INGRESS. */
export interface StatusReturnMessage {
  hubId: string;
  messageId: string;
  json: string;
}

/**
 * The MedCom address of the originator: its registered SOR id and GLN (MedCom requires both), falling back
 * to what the referral itself named. Undefined when neither source gives both.
 */
export function originatorAddress(
  effect: StatusReturnEffect,
  endpoint: Endpoint | undefined,
): MessagingOrganization | undefined {
  const sor = endpoint?.identifiers.sor[0] ?? effect.originatorParty?.sor;
  const gln = endpoint?.identifiers.gln[0] ?? effect.originatorParty?.gln;
  if (sor === undefined || gln === undefined) return undefined;
  const name = endpoint?.name ?? effect.originatorParty?.name;
  return { sor, gln, ...(name === undefined ? {} : { name }) };
}

/**
 * The status update the hub sends the originator, as a MedCom-style FHIR message with the hub as sender.
 * Ids come from the message ledger, named by the effect id, so building it again after a crash gives the
 * same message id and hub id (the ledger recognises the repeat at intake, at any age).
 */
export function buildStatusReturn(
  namespace: string,
  subject: SubjectRef,
  effect: StatusReturnEffect,
  hub: HubIdentity,
  receiver: MessagingOrganization,
  now: Date,
): StatusReturnMessage {
  // The ledger names the message after the effect (a retry is a repeat) and gives the hub id intake derives.
  const { hubId, messageId, bundleId } = hubMessageIds(namespace, hub.id, `status-return:${effect.id}`);
  const built = buildStatusUpdate({
    ids: { bundleId, messageHeaderId: messageId },
    now: now.toISOString(),
    sender: { sor: hub.sor, gln: hub.gln, name: hub.name },
    receiver,
    subject,
    status: effect.status,
    occurredAt: new Date(effect.occurredAt).toISOString(),
    ...(effect.appointment === undefined
      ? {}
      : effect.status === "planned"
        ? { plannedWindow: effect.appointment }
        : { appointment: effect.appointment }),
  });
  return { hubId, messageId, json: built.json };
}

/** A `status-changed` event: on EVENTS for a change, on `<ns>.status.<originator>` for a status return. */
export function statusChangedEvent(
  subject: SubjectRef,
  change: {
    id: string;
    cause: string;
    from: EventOf<"status-changed">["from"];
    to: EventOf<"status-changed">["to"];
    occurredAt: number;
  },
  now: Date,
): EventOf<"status-changed"> {
  return {
    schemaVersion: 1,
    type: "status-changed",
    eventId: change.id,
    at: now.toISOString(),
    hubId: change.cause,
    subject,
    from: change.from,
    to: change.to,
    occurredAt: new Date(change.occurredAt).toISOString(),
  };
}

/** The announcement on `<ns>.status.<originator>` (core NATS): a StatusChangedEvent. */
export function statusAnnouncement(
  subject: SubjectRef,
  effect: StatusReturnEffect,
  now: Date,
): EventOf<"status-changed"> {
  return statusChangedEvent(subject, { ...effect, to: effect.status }, now);
}

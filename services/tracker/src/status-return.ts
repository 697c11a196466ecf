import { createHash } from "node:crypto";
import { derivedUuid } from "@carehub/acknowledgements";
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

/** carehub's UUID namespace for the tracker's name-based ids (a fixed random UUID). */
const TRACKER_ID_NAMESPACE = Buffer.from("a3f4c1d2e5b64f7a8c9d0e1f2a3b4c5d", "hex");

/** A name-based UUID (version 5): the same status return always gets the same ids, so a retry is a repeat. */
export function nameBasedUuid(name: string): string {
  const bytes = createHash("sha1").update(TRACKER_ID_NAMESPACE).update(name, "utf8").digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
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
 * Ids are derived from the namespace and the effect id, so building it again after a crash gives the same
 * message id and hub id (JetStream and intake then drop the repeat); the hub id is the one the gateway derives
 * for (namespace, source endpoint, message id), which intake checks.
 */
export function buildStatusReturn(
  namespace: string,
  subject: SubjectRef,
  effect: StatusReturnEffect,
  hub: HubIdentity,
  receiver: MessagingOrganization,
  now: Date,
): StatusReturnMessage {
  const messageId = nameBasedUuid(`${namespace}\u0000${effect.id}\u0000message`);
  const built = buildStatusUpdate({
    ids: { bundleId: nameBasedUuid(`${namespace}\u0000${effect.id}\u0000bundle`), messageHeaderId: messageId },
    now: now.toISOString(),
    sender: { sor: hub.sor, gln: hub.gln, name: hub.name },
    receiver,
    subject,
    status: effect.status,
    occurredAt: new Date(effect.occurredAt).toISOString(),
    ...(effect.appointment === undefined ? {} : { appointment: effect.appointment }),
  });
  // The hub id the gateway would give this message (intake recomputes and checks it).
  return { hubId: derivedUuid("message", namespace, hub.id, messageId), messageId, json: built.json };
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

import type { BusinessStatus, Envelope, Party } from "@carehub/schemas";
import { type EntityUpdate, factKey, type SubjectRef } from "@carehub/store";

/** What the tracker needs to know about endpoints to read an envelope (EndpointRegistry satisfies it). */
export interface PartyResolver {
  /** The registry id of the endpoint a party names, if any. */
  resolveParty(party: Pick<Party, "sor" | "gln">): { id: string } | undefined;
}

/**
 * An appointment's status that also moves the referral it was booked for. A cancelled or deleted
 * appointment does not cancel the referral (it is usually rebooked), so those stay with the appointment.
 */
const APPOINTMENT_TO_REFERRAL: Partial<Record<BusinessStatus, BusinessStatus>> = {
  booked: "booked",
  rescheduled: "rescheduled",
  completed: "completed",
  "no-show": "no-show",
};

/** The business subject an envelope is about, for the message's lifecycle record. */
export function subjectOf(envelope: Envelope): SubjectRef | undefined {
  const content = envelope.content;
  switch (content.kind) {
    case "referral":
      return { type: "referral", id: content.referralId };
    case "task-requisition":
      return { type: "task", id: content.taskId };
    case "status-update":
      return content.subject;
    default:
      return undefined;
  }
}

/**
 * The changes an envelope makes to referrals, tasks and appointments:
 * - a referral creates its referral (`sent`), a task requisition its task (`requested`), remembering who
 *   sent it (the originator, where status changes go back to) and whom it went to;
 * - a status update adds its status as a fact of its subject, and, for an appointment booked for a referral,
 *   the matching fact of that referral too;
 * - a status update the hub itself made (a status return) only records that the originator has it.
 * Notifications and every other kind carry no business status.
 */
export function entityUpdatesFor(envelope: Envelope, hubEndpointId: string, resolver: PartyResolver): EntityUpdate[] {
  const seenAt = Date.parse(envelope.receivedAt);
  const content = envelope.content;
  const receivers = resolveAll(envelope.receivers, resolver);
  const knownBy = [...new Set([envelope.sourceEndpoint, ...receivers])].sort();
  const occurredAt = (value: string | undefined) => {
    const ms = value === undefined ? Number.NaN : Date.parse(value);
    return Number.isNaN(ms) ? seenAt : ms;
  };
  const creation = { endpoint: envelope.sourceEndpoint, party: partyRef(envelope.sender), counterparts: receivers };
  switch (content.kind) {
    case "referral":
      return [
        {
          subject: { type: "referral", id: content.referralId },
          seenAt,
          creation,
          fact: { status: "sent", occurredAt: occurredAt(envelope.sentAt), sources: [envelope.hubId], knownBy },
        },
      ];
    case "task-requisition":
      return [
        {
          subject: { type: "task", id: content.taskId },
          seenAt,
          creation,
          fact: { status: "requested", occurredAt: occurredAt(envelope.sentAt), sources: [envelope.hubId], knownBy },
        },
      ];
    case "status-update": {
      const at = occurredAt(content.occurredAt);
      if (envelope.sourceEndpoint === hubEndpointId) {
        return [{ subject: content.subject, seenAt, returned: factKey({ status: content.status, occurredAt: at }) }];
      }
      const fact = {
        status: content.status,
        occurredAt: at,
        sources: [envelope.hubId],
        knownBy,
        ...(content.appointment === undefined ? {} : { appointment: content.appointment }),
      };
      const updates: EntityUpdate[] = [
        {
          subject: content.subject,
          seenAt,
          fact,
          ...(content.basedOn === undefined ? {} : { basedOn: content.basedOn }),
        },
      ];
      const basedOn = content.basedOn;
      if (basedOn !== undefined && content.subject.type === "appointment") {
        const mapped = basedOn.type === "referral" ? APPOINTMENT_TO_REFERRAL[content.status] : undefined;
        updates.push({
          subject: basedOn,
          seenAt,
          appointment: content.subject.id,
          ...(mapped === undefined ? {} : { fact: { ...fact, status: mapped } }),
        });
      }
      return updates;
    }
    default:
      return [];
  }
}

function resolveAll(parties: readonly Party[], resolver: PartyResolver): string[] {
  const ids = new Set<string>();
  for (const party of parties) {
    const endpoint = resolver.resolveParty(party);
    if (endpoint !== undefined) ids.add(endpoint.id);
  }
  return [...ids].sort();
}

function partyRef(party: Party): { sor?: string; gln?: string; name?: string } {
  const ref: { sor?: string; gln?: string; name?: string } = {};
  if (party.sor !== undefined) ref.sor = party.sor;
  if (party.gln !== undefined) ref.gln = party.gln;
  if (party.name !== undefined) ref.name = party.name;
  return ref;
}

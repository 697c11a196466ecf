import type { BusinessStatus, ContentOf, Envelope, Party } from "@carehub/schemas";
import { type EntityParties, type EntityUpdate, factKey, type SubjectRef } from "@carehub/store";

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

/**
 * Which originator's entity a status update is about, decided before the pure step (status-subject.ts in
 * @carehub/store), and the parties of the referral or task an appointment was booked for (so the appointment
 * has the same parties).
 */
export interface StatusContext {
  /** For a referral or task forwarded by a party of it (`links.forwards`): the entity it belongs to. */
  forwardOf?: SubjectRef;
  subject: SubjectRef;
  basedOn?: SubjectRef;
  basedOnParties?: EntityParties;
}

/**
 * The business subject an envelope is about, for the message's lifecycle record: a referral or task is its
 * sender's; a status update's subject is the one resolved for it.
 */
export function subjectOf(envelope: Envelope, status?: StatusContext): SubjectRef | undefined {
  const content = envelope.content;
  switch (content.kind) {
    case "referral":
      return status?.forwardOf ?? { type: "referral", originator: envelope.sourceEndpoint, id: content.referralId };
    case "task-requisition":
      return status?.forwardOf ?? { type: "task", originator: envelope.sourceEndpoint, id: content.taskId };
    case "status-update":
      return status?.subject;
    default:
      return undefined;
  }
}

/** The endpoint a message's primary receiver resolves to (where a counterpart's status update goes). */
export function addresseeOf(envelope: Envelope, resolver: PartyResolver): string | undefined {
  const primary = envelope.receivers[0];
  return primary === undefined ? undefined : resolver.resolveParty(primary)?.id;
}

/**
 * The changes an envelope makes to referrals, tasks and appointments:
 * - a referral creates its referral (`sent`), a task requisition its task (`requested`), remembering who
 *   sent it (the originator, where status changes go back to) and whom it went to;
 * - a status update adds its status, stated by its sender, as a fact of its resolved subject (whether the
 *   sender may state it is decided by the fold: status-authority.ts), and, for an appointment booked for a
 *   referral, the matching fact of that referral too; the appointment takes the referral's parties;
 * - a status update the hub itself made (a status return) only records that the originator has it.
 * Notifications and every other kind carry no business status.
 */
export function entityUpdatesFor(
  envelope: Envelope,
  hubEndpointId: string,
  resolver: PartyResolver,
  status?: StatusContext,
): EntityUpdate[] {
  const seenAt = Date.parse(envelope.receivedAt);
  const content = envelope.content;
  const receivers = resolveAll(envelope.receivers, resolver);
  const knownBy = [...new Set([envelope.sourceEndpoint, ...receivers])].sort();
  const occurredAt = (value: string | undefined) => {
    const ms = value === undefined ? Number.NaN : Date.parse(value);
    return Number.isNaN(ms) ? seenAt : ms;
  };
  const creation = { endpoint: envelope.sourceEndpoint, party: partyRef(envelope.sender), counterparts: receivers };
  const by = [envelope.sourceEndpoint];
  const originator = envelope.sourceEndpoint;
  if (status?.forwardOf !== undefined && (content.kind === "referral" || content.kind === "task-requisition")) {
    // Passed on by a party: its receivers become parties of the original, nothing new is created.
    return [{ subject: status.forwardOf, seenAt, forward: { by: envelope.sourceEndpoint, to: receivers } }];
  }
  switch (content.kind) {
    case "referral":
      return [
        {
          subject: { type: "referral", originator, id: content.referralId },
          seenAt,
          creation,
          fact: { status: "sent", occurredAt: occurredAt(envelope.sentAt), sources: [envelope.hubId], knownBy, by },
        },
      ];
    case "task-requisition":
      return [
        {
          subject: { type: "task", originator, id: content.taskId },
          seenAt,
          creation,
          fact: {
            status: "requested",
            occurredAt: occurredAt(envelope.sentAt),
            sources: [envelope.hubId],
            knownBy,
            by,
          },
        },
      ];
    case "status-update": {
      const at = occurredAt(content.occurredAt);
      const subject = status?.subject ?? { ...content.subject, originator: envelope.sourceEndpoint };
      if (envelope.sourceEndpoint === hubEndpointId) {
        return [{ subject, seenAt, returned: factKey({ status: content.status, occurredAt: at }) }];
      }
      const fact = {
        status: content.status,
        occurredAt: at,
        sources: [envelope.hubId],
        knownBy,
        by,
        // A fact holds one time: a `planned` fact's is its expected window (the fold tells them apart by status).
        ...factTime(content),
      };
      const basedOn = status?.basedOn;
      const inherited = status?.basedOnParties;
      const updates: EntityUpdate[] = [
        {
          subject,
          seenAt,
          fact,
          ...(basedOn === undefined ? {} : { basedOn }),
          // An appointment has the parties of the referral or task it was booked for, once that is matched.
          ...(inherited?.originator === undefined
            ? {}
            : { creation: { endpoint: inherited.originator, counterparts: [...inherited.counterparts] } }),
        },
      ];
      if (basedOn !== undefined && content.subject.type === "appointment") {
        const mapped = basedOn.type === "referral" ? APPOINTMENT_TO_REFERRAL[content.status] : undefined;
        updates.push({
          subject: basedOn,
          seenAt,
          appointment: subject.id,
          ...(mapped === undefined ? {} : { fact: { ...fact, status: mapped } }),
        });
      }
      return updates;
    }
    default:
      return [];
  }
}

/** The registry ids the parties resolve to, each once, sorted. */
export function resolveAll(parties: readonly Party[], resolver: PartyResolver): string[] {
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

function factTime(content: ContentOf<"status-update">): { appointment?: { start: string; end?: string } } {
  const time = content.status === "planned" ? content.plannedWindow : content.appointment;
  return time === undefined ? {} : { appointment: time };
}

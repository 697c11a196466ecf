import type { Envelope, ValidationIssue } from "@carehub/schemas";
import {
  type EntityParties,
  type EntityReader,
  entityParties,
  resolveStatusSubject,
  STATUS_NOT_A_PARTY,
  statusAuthority,
} from "@carehub/store";
import { type RoutingRegistry, resolveAddressee } from "./routing-registry.ts";

/**
 * The router's half of the status-authority rule (packages/store/src/status-authority.ts): a status update
 * whose sender has no part in the referral, task or appointment it is about is not delivered — the sender
 * gets a negative acknowledgement, the refusal is a `rejected` event with CAREHUB_ERR_STATUS_NOT_A_PARTY,
 * and nobody is told the status. The router asks the read model the tracker keeps (the parties come from
 * the creating message), so it decides with the same rule and the same resolution of which originator's
 * entity is meant. The tracker's fold applies the rule again to every fact, whatever the router saw: if the
 * referral is still on its way to the read model when a stranger's status is routed, the status may be
 * delivered, but it never changes the entity nor returns to the originator.
 */
export async function statusPartyIssue(
  envelope: Envelope,
  registry: RoutingRegistry,
  entities: EntityReader,
): Promise<ValidationIssue | undefined> {
  const content = envelope.content;
  if (content.kind !== "status-update" || envelope.sourceEndpoint === registry.hub.id) return undefined;
  const primary = envelope.receivers[0];
  const addressee = primary === undefined ? undefined : resolveAddressee(primary, registry);
  const resolved = await resolveStatusSubject(entities, {
    subject: content.subject,
    basedOn: content.subject.type === "appointment" ? content.basedOn : undefined,
    sender: envelope.sourceEndpoint,
    addressee: addressee?.type === "endpoint" ? addressee.endpoint.id : undefined,
  });
  const parties = await partiesOf(entities, resolved);
  const verdict = statusAuthority(content.subject.type, parties, envelope.sourceEndpoint, content.status);
  if (verdict.allowed) return undefined;
  // No MedCom issue code says "not a party": the FHIR answer carries the default code and this text.
  return {
    code: STATUS_NOT_A_PARTY,
    path: "MessageHeader.focus",
    message: `${STATUS_NOT_A_PARTY}: the sender has no part in the ${content.subject.type} this status is about, or may not state ${content.status} about it`,
  };
}

/** An appointment the hub has not seen yet has the parties of the referral or task it is booked for. */
async function partiesOf(
  entities: EntityReader,
  resolved: Awaited<ReturnType<typeof resolveStatusSubject>>,
): Promise<EntityParties> {
  const own = await entities.getEntityState(resolved.subject);
  if (own?.matched === true || resolved.basedOn === undefined) {
    return own === undefined ? { counterparts: [] } : entityParties(own);
  }
  const based = await entities.getEntityState(resolved.basedOn);
  return based === undefined ? { counterparts: [] } : entityParties(based);
}

import type { EntityReader } from "./entity-reader.ts";
import type { SubjectRef } from "./entity-state.ts";
import type { SubjectType } from "./state-machines.ts";

/** What a status update says about its subject and its own addressing (all registry ids, hub-resolved). */
export interface StatusAddressing {
  subject: { type: SubjectType; id: string };
  /** For an appointment: the referral or task it was booked for. */
  basedOn?: { type: SubjectType; id: string } | undefined;
  /** The endpoint that sent the status update (authenticated by the hub). */
  sender: string;
  /** The endpoint its primary receiver resolves to, if any. */
  addressee: string | undefined;
}

/**
 * Which originator's referral, task or appointment a status update is about. A status update names only the
 * id; the originator is decided here, once, for the router and the tracker alike, from what the hub knows —
 * never from a claim in the message:
 * 1. the sender's own entity, when the hub saw the sender create it (an originator withdrawing its referral);
 * 2. otherwise the entity of the endpoint the update is addressed to: a counterpart reports back to the
 *    originator that sent it the referral, so it addresses its status to that originator (it knows it from
 *    the referral it received);
 * 3. with no registered addressee, the sender's (the status is then unmatched, and flagged).
 * An appointment is scoped like the referral or task it was booked for. Whether the sender may state the
 * status at all is the separate rule of status-authority.ts.
 */
export async function resolveStatusSubject(
  reader: EntityReader,
  addressing: StatusAddressing,
): Promise<{ subject: SubjectRef; basedOn?: SubjectRef }> {
  const anchor = addressing.basedOn ?? addressing.subject;
  const own = await reader.getEntityState({ ...anchor, originator: addressing.sender });
  const originator = own?.matched === true ? addressing.sender : (addressing.addressee ?? addressing.sender);
  const subject = { ...addressing.subject, originator };
  return addressing.basedOn === undefined ? { subject } : { subject, basedOn: { ...addressing.basedOn, originator } };
}

import type { EntityReader } from "./entity-reader.ts";
import { type EntityState, effectiveCounterparts, type SubjectRef } from "./entity-state.ts";
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
 * 2. the entity the sender is a counterpart of (it received the referral, so it speaks about that one);
 *    with several such, the one of the originator the update is addressed to, else the first in id order;
 * 3. the addressee's entity, when the hub saw the addressee create it (a stranger's statement, which the fold
 *    will refuse); else the only matched entity under that id (refused there, so operators see it against its
 *    target);
 * 4. otherwise the unmatched entity under the addressee, new or already holding earlier statements (the
 *    sender's, with no registered addressee).
 * An appointment is scoped like the referral or task it was booked for. Whether the sender may state the
 * status at all is the separate rule of status-authority.ts. A status that arrives before its referral is
 * resolved by 2-4 (the hub cannot know better yet): it joins the referral when addressed to its originator —
 * unless the sender already has a referral under the same id from another originator, which then takes it.
 */
export async function resolveStatusSubject(
  reader: EntityReader,
  addressing: StatusAddressing,
): Promise<{ subject: SubjectRef; basedOn?: SubjectRef }> {
  const originator = await originatorFor(reader, addressing);
  const subject = { ...addressing.subject, originator };
  return addressing.basedOn === undefined ? { subject } : { subject, basedOn: { ...addressing.basedOn, originator } };
}

async function originatorFor(reader: EntityReader, addressing: StatusAddressing): Promise<string> {
  const anchor = addressing.basedOn ?? addressing.subject;
  const { sender, addressee } = addressing;
  const originators = (await reader.originatorsOf(anchor.type, anchor.id)).sort();
  const states = new Map<string, EntityState>();
  for (const originator of originators) {
    const state = await reader.getEntityState({ ...anchor, originator });
    if (state !== undefined) states.set(originator, state);
  }
  if (states.get(sender)?.matched === true) return sender;
  const partOf = [...states.values()].filter((s) => s.matched && effectiveCounterparts(s).includes(sender));
  const addressed = partOf.find((s) => s.originator === addressee);
  if (addressed !== undefined) return addressed.originator;
  if (partOf[0] !== undefined) return partOf[0].originator;
  if (addressee !== undefined && states.get(addressee)?.matched === true) return addressee;
  // Only a matched entity draws a stranger's statement: an unmatched one is nobody's yet. An unmatched entity
  // under the addressee (someone's earlier statement) must not draw it either, or an earlier stranger's status
  // would decide where a later one goes: the outcome must not depend on what strangers said first.
  const matched = [...states.values()].filter((s) => s.matched);
  if (matched.length === 1 && matched[0] !== undefined) return matched[0].originator;
  return addressee ?? sender;
}

/**
 * The entity a forwarded referral or task belongs to: the one under that id whose party the forwarder is (it
 * passes on what it received). Undefined when there is none: the forward is then the forwarder's own.
 */
export async function forwardedEntity(
  reader: EntityReader,
  subject: { type: SubjectType; id: string },
  forwarder: string,
): Promise<SubjectRef | undefined> {
  for (const originator of (await reader.originatorsOf(subject.type, subject.id)).sort()) {
    if (originator === forwarder) continue;
    const state = await reader.getEntityState({ ...subject, originator });
    if (state?.matched === true && effectiveCounterparts(state).includes(forwarder)) return { ...subject, originator };
  }
  return undefined;
}

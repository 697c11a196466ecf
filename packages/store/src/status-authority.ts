import type { BusinessStatus } from "@carehub/schemas";
import { machineFor, type SubjectType } from "./state-machines.ts";

/**
 * Who may state which business status about a referral, task or appointment. The one rule, written once:
 * the router asks it before delivering a status update (refusing with a negative acknowledgement), and the
 * entity fold asks it for every fact (so no arrival order, race or rebuild lets a fact from an endpoint
 * without a part change an entity). docs/architecture.md, "Who may state which fact", is this table.
 */

/** The code of a status refused because its sender has no part in the entity (docs/errors.md, Tracker). */
export const STATUS_NOT_A_PARTY = "CAREHUB_ERR_STATUS_NOT_A_PARTY";

/** Who the hub knows to take part in one entity. */
export interface EntityParties {
  /** The endpoint whose creating message the hub saw; undefined while the entity is unmatched. */
  originator?: string | undefined;
  /** The endpoints it was sent to (and, for an appointment, those of the referral or task it belongs to). */
  counterparts: readonly string[];
}

/**
 * Statuses the originator may state about its own entity: withdrawing a referral or task (cancelled) and
 * marking it entered in error (deleted). Everything else — received, booked, completed … — is the
 * counterpart's to say. An appointment is the counterpart's alone: the originator asks for a new one through
 * the referral, it does not cancel the hospital's booking.
 */
export const ORIGINATOR_STATUSES: Readonly<Record<SubjectType, readonly BusinessStatus[]>> = {
  referral: ["cancelled", "deleted"],
  task: ["cancelled"],
  appointment: [],
};

export type StatusAuthority =
  | { allowed: true; as: "originator" | "counterpart" | "unmatched" }
  | { allowed: false; code: typeof STATUS_NOT_A_PARTY; reason: string };

/**
 * Whether `speaker` may state `status` about an entity of `type` with these parties:
 * - while the hub has not seen the creating message (unmatched), anyone's statement is kept — the hub does
 *   not always see the referral — and the entity is flagged unmatched;
 * - a counterpart may state every status except the creating one (`sent`, `requested`), which only the
 *   creating message itself states;
 * - the originator may state its creating status and its own withdrawal (ORIGINATOR_STATUSES);
 * - nobody else may state anything.
 */
export function statusAuthority(
  type: SubjectType,
  parties: EntityParties,
  speaker: string,
  status: BusinessStatus,
): StatusAuthority {
  const creation = machineFor(type).creation;
  if (parties.originator === undefined) return { allowed: true, as: "unmatched" };
  if (speaker === parties.originator && (status === creation || ORIGINATOR_STATUSES[type].includes(status))) {
    return { allowed: true, as: "originator" };
  }
  if (speaker !== parties.originator && parties.counterparts.includes(speaker) && status !== creation) {
    return { allowed: true, as: "counterpart" };
  }
  const role = speaker === parties.originator ? "its originator" : "not a party to it";
  return {
    allowed: false,
    code: STATUS_NOT_A_PARTY,
    reason: `${speaker} is ${role} and may not state ${status} about this ${type}`,
  };
}

/** A fact reported by several endpoints stands when any one of them may state it. */
export function anyMayState(
  type: SubjectType,
  parties: EntityParties,
  speakers: readonly string[],
  status: BusinessStatus,
): StatusAuthority {
  if (parties.originator === undefined) return { allowed: true, as: "unmatched" };
  let refusal: StatusAuthority | undefined;
  for (const speaker of speakers) {
    const verdict = statusAuthority(type, parties, speaker, status);
    if (verdict.allowed) return verdict;
    refusal ??= verdict;
  }
  return (
    refusal ?? {
      allowed: false,
      code: STATUS_NOT_A_PARTY,
      reason: `nobody known stated ${status} about this ${type}`,
    }
  );
}

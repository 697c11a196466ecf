import { MEDCOM_ISSUE_CODES, ROUTER_ERROR_CODES } from "./routing-errors.ts";

/**
 * Who may state which fact about a message (docs/architecture.md, "Who may state which fact"). The rule is
 * written here once, as a pure function of what the hub knows; the router reads those facts from Redis and
 * acts on the verdict. A message states a fact about another message when it acknowledges it (FHIR
 * Acknowledgement `response.identifier`, an OIOXML XCTL receipt) or corrects / retracts it.
 */

/** The message a fact is about, as the hub knows it. */
export interface KnownMessage {
  /**
   * The endpoint that sent it (the hub's own id for a message the hub made). `undefined` when the hub knows
   * only that it was sent by an endpoint other than the one stating the fact (it is held by a receiver
   * under that id, but the stating endpoint never sent a message with that id).
   */
  sentBy: string | undefined;
  /** The endpoints the hub routed it to; `undefined` while it is not routed. */
  routedTo: ReadonlySet<string> | undefined;
}

export type MessageFact = "acknowledgement" | "correction" | "retraction";

export type FactVerdict =
  /** `matched`: the message is known, so the fact is recorded about it; otherwise it is passed on unmatched. */
  { allowed: true; matched: boolean } | { allowed: false; code: FactRefusalCode; medcomCode: string; reason: string };

export type FactRefusalCode =
  | typeof ROUTER_ERROR_CODES.ackNotAReceiver
  | typeof ROUTER_ERROR_CODES.correctionNotOriginalSender;

/**
 * The rule, one row per case:
 *
 * | fact | stated by | verdict |
 * |---|---|---|
 * | acknowledgement | an endpoint the hub routed the message to | allowed |
 * | acknowledgement | the hub itself (its own negative acknowledgements) | allowed |
 * | acknowledgement | the message's own sender, or any other endpoint | refused `CAREHUB_ERR_ROUTE_ACK_NOT_A_RECEIVER` |
 * | acknowledgement | anyone, of a message not routed (yet) | refused (the router first waits a moment) |
 * | correction / retraction | the message's original sender | allowed |
 * | correction / retraction | any other endpoint | refused `CAREHUB_ERR_ROUTE_CORRECTION_NOT_ORIGINAL_SENDER` |
 * | any | anyone, about a message the hub does not know | allowed, unmatched: passed on, no state changes |
 */
export function authorizeFact(
  fact: MessageFact,
  statedBy: string,
  about: KnownMessage | undefined,
  hubEndpointId: string,
): FactVerdict {
  if (about === undefined) return { allowed: true, matched: false };
  if (fact === "acknowledgement") return authorizeAcknowledgement(statedBy, about, hubEndpointId);
  if (about.sentBy === statedBy) return { allowed: true, matched: true };
  return {
    allowed: false,
    code: ROUTER_ERROR_CODES.correctionNotOriginalSender,
    medcomCode: MEDCOM_ISSUE_CODES.noMatch,
    reason: `only the original sender may send a ${fact} of a message; it was sent by another endpoint`,
  };
}

function authorizeAcknowledgement(statedBy: string, about: KnownMessage, hubEndpointId: string): FactVerdict {
  if (statedBy === hubEndpointId || about.routedTo?.has(statedBy) === true) return { allowed: true, matched: true };
  const why =
    about.sentBy === statedBy
      ? "the acknowledging endpoint sent that message itself"
      : about.routedTo === undefined
        ? "that message has not been delivered to anyone"
        : "that message was not delivered to the acknowledging endpoint";
  return {
    allowed: false,
    code: ROUTER_ERROR_CODES.ackNotAReceiver,
    medcomCode: MEDCOM_ISSUE_CODES.noMatch,
    reason: `only a receiver may acknowledge a message: ${why}`,
  };
}

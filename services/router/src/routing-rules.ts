import type { EndpointKind, MessageContent, MessageKind, RoutingRule, RoutingRuleCondition } from "@carehub/schemas";

/** The facts about one message that routing rules are evaluated against. */
export interface RuleSubject {
  kind: MessageKind;
  /** The kind of the authenticated source endpoint; undefined when it is no longer registered. */
  senderKind: EndpointKind | undefined;
  consentWithheld: boolean;
  producedBySender: boolean;
}

export type RuleVerdict =
  | { matches: true }
  | {
      matches: false;
      because:
        | "kind"
        | "sender-kind"
        | "consent-withheld"
        | "consent-given"
        | "received-by-sender"
        | "produced-by-sender";
    };

/**
 * Whether the patient withheld consent to share this message beyond its addressees. A message that says
 * nothing about consent counts as consent given (MedCom: no HAN segment / no `Consent` element).
 */
export function isConsentWithheld(content: MessageContent): boolean {
  switch (content.kind) {
    case "lab-result":
    case "lab-requisition":
    case "homecare-observation":
      return content.consentGiven === false;
    case "referral":
    case "task-requisition":
    case "notification":
    case "status-update":
    case "care-communication":
    case "hospital-notification":
    case "acknowledgement":
    case "empty":
    case "letter":
      return false;
  }
}

/** Every condition a rule gives must hold; conditions it leaves out match anything. */
export function evaluateRule(when: RoutingRuleCondition, subject: RuleSubject): RuleVerdict {
  if (when.kind !== undefined && when.kind !== subject.kind) return { matches: false, because: "kind" };
  if (when.senderKind !== undefined && when.senderKind !== subject.senderKind) {
    return { matches: false, because: "sender-kind" };
  }
  if (when.consentGiven === true && subject.consentWithheld) return { matches: false, because: "consent-withheld" };
  if (when.consentGiven === false && !subject.consentWithheld) return { matches: false, because: "consent-given" };
  if (when.producedBySender === true && !subject.producedBySender) {
    return { matches: false, because: "received-by-sender" };
  }
  if (when.producedBySender === false && subject.producedBySender) {
    return { matches: false, because: "produced-by-sender" };
  }
  return { matches: true };
}

/** Rules that were relevant to the message but held back, with the reason (for the routing notes). */
export interface RuleHeldBack {
  rule: RoutingRule["id"];
  because: "consent-withheld" | "received-by-sender";
}

import type { AcknowledgementCode, Envelope, Party, ValidationIssue } from "@carehub/schemas";
import { expectsAcknowledgement } from "@carehub/schemas";
import { authorizeFact, type KnownMessage, type MessageFact } from "./fact-authority.ts";
import { MEDCOM_ISSUE_CODES, ROUTER_ERROR_CODES } from "./routing-errors.ts";
import { describeParty, type RoutingRegistry, resolveAddressee } from "./routing-registry.ts";
import { evaluateRule, isConsentWithheld, type RuleHeldBack, type RuleSubject } from "./routing-rules.ts";

/**
 * What the hub already knows that bears on routing one message; read from Redis by the router
 * (see route-facts.ts) before calling the pure resolver.
 */
export interface RouteFacts {
  /**
   * The message ids — this message's own id, and the ids it corrects, retracts or forwards — that the hub
   * earlier routed TO the source endpoint. Any hit means the sender is passing on something it received.
   */
  receivedBySource: ReadonlySet<string>;
  /**
   * For a correction or retraction: the original as the hub knows it (absent: unknown to the hub), and the
   * endpoints the router sent it to (absent: not routed, because it was rejected or is still on its way).
   */
  original?: { hubId: string; routedTo?: ReadonlySet<string> | undefined } | undefined;
  /**
   * For a correction or retraction by link that the sender never sent an original for: set when the sender
   * itself or an endpoint it could reach (addressed, or a rule's target) holds a message with that id, i.e. one
   * another endpoint sent.
   */
  supersededSentByAnother?: boolean | undefined;
  /** For an acknowledgement: the hub id of the message it answers (absent: unknown to the hub). */
  acknowledgedHubId?: string | undefined;
  /** For an acknowledgement of a known message: the endpoints the hub routed it to (absent: not routed). */
  acknowledgedRoutedTo?: ReadonlySet<string> | undefined;
}

export const NO_ROUTE_FACTS: RouteFacts = Object.freeze({ receivedBySource: new Set<string>() });

export interface RouteDelivery {
  endpoint: string;
  /** `addressed` when the message names the receiver itself; otherwise the id of the rule that added it. */
  via: "addressed" | { rule: string };
  /** Hub id of a message that must reach this receiver first (header Carehub-After). */
  after?: string;
}

/** An acknowledgement matched to the message it answers. */
export interface AcknowledgementMatch {
  /** The endpoint that sent the original, i.e. the acknowledgement's addressee; the hub's own id for hub-made messages. */
  originalSender: string;
  /** MessageHeader.id / letter id of the message acknowledged. */
  respondsTo: string;
  code: AcknowledgementCode;
  /** Hub id of the acknowledged message; absent when the hub never saw it. */
  originalHubId?: string;
}

export type RouteDecision =
  | {
      outcome: "reject";
      issues: ValidationIssue[];
      /** Whether the sender gets a negative acknowledgement (never for an acknowledgement: MedCom KR2). */
      answerSender: boolean;
    }
  | {
      outcome: "route";
      /** One per receiving endpoint, addressed receivers first; empty only for an ack addressed to the hub. */
      deliveries: RouteDelivery[];
      acknowledges?: AcknowledgementMatch;
      /** Why a rule was held back or ordering was skipped, in plain words without patient data (for logs). */
      notes: string[];
    };

/**
 * Decides where one message goes. Pure: the envelope, the registry and the facts in, a decision out.
 *
 * 1. Every party the message addresses (primary receiver, then cc) must be a registered endpoint that
 *    accepts the message's kind; otherwise the whole message is rejected (all or nothing, so the sender's
 *    acknowledgement tells the whole truth). Acknowledgements are accepted by every endpoint: whoever sends
 *    messages must be able to receive the answers. The hub itself receives only acknowledgements.
 * 2. Routing rules (registry data) add copies, e.g. practice-produced lab results to the lab databank.
 *    A rule with `consentGiven: true` never matches a message whose consent is withheld. A rule with
 *    `producedBySender: true` never matches a message the sender received: one that forwards another
 *    message, or whose own id or corrected / retracted / forwarded id the hub earlier routed to the sender.
 *    A rule never copies back to the sender, never twice to an addressed receiver, and never to an endpoint
 *    that does not accept the kind.
 * 3. A correction or retraction waits at each receiver for the original it links to (Carehub-After), when
 *    the hub routed that original to that receiver; otherwise it goes without ordering and a note says why.
 *    A corrected OIOXML lab result, which names no original, follows the sender's previous result for the
 *    same sample.
 * 4. An acknowledgement is routed to its addressee (the original sender) and matched to the original.
 * 5. A fact about another message must come from an endpoint with a part in it (fact-authority.ts): an
 *    acknowledgement from one the hub routed the message to, a correction or retraction from its original
 *    sender. Otherwise the message is rejected, and its sender answered even when it is an acknowledgement.
 */
export function resolveRoute(
  envelope: Envelope,
  registry: RoutingRegistry,
  facts: RouteFacts,
  addressed: AddressedDeliveries = addressedDeliveries(envelope, registry),
): RouteDecision {
  // The router has them already (it marks the addressed receivers with the facts' read): computed once per message.
  // Taken over, not copied: the rules' copies are added to these deliveries.
  const { deliveries, issues, addressedToHub } = addressed;

  if (issues.length > 0) {
    return { outcome: "reject", issues, answerSender: expectsAcknowledgement(envelope.kind) };
  }
  const originalSender = addressedToHub ? registry.hub.id : (deliveries[0]?.endpoint ?? registry.hub.id);
  const refusal = refusedFact(envelope, registry, facts, originalSender);
  // Refused facts are answered, acknowledgements too: the sender must learn it was not believed.
  if (refusal !== undefined) return { outcome: "reject", issues: [refusal], answerSender: true };

  const notes: string[] = [];
  const heldBack = applyRules(envelope, registry, facts, deliveries, notes);
  for (const held of heldBack) {
    notes.push(
      held.because === "consent-withheld"
        ? `rule ${held.rule} not applied: the patient withheld consent`
        : `rule ${held.rule} not applied: the sender received this message, it did not produce it`,
    );
  }
  orderAfterOriginal(envelope, facts, deliveries, notes);

  const decision: RouteDecision = { outcome: "route", deliveries, notes };
  if (envelope.content.kind === "acknowledgement") {
    decision.acknowledges = {
      originalSender,
      respondsTo: envelope.content.respondsTo,
      code: envelope.content.code,
      ...(facts.acknowledgedHubId === undefined ? {} : { originalHubId: facts.acknowledgedHubId }),
    };
    if (facts.acknowledgedHubId === undefined) {
      notes.push("acknowledgement of a message unknown to the hub: relayed without matching");
    }
  }
  return decision;
}

/** What addressedDeliveries finds: step 1 of resolveRoute. */
export interface AddressedDeliveries {
  deliveries: RouteDelivery[];
  issues: ValidationIssue[];
  addressedToHub: boolean;
}

/**
 * Step 1 of resolveRoute: the endpoints the message addresses (primary receiver, then cc, each once), the issues
 * that reject it (an unknown party, one that does not accept the kind), and whether it is addressed to the hub (an
 * acknowledgement of a hub-made message). Needs no facts, so the router marks these receivers before it reads them.
 */
export function addressedDeliveries(envelope: Envelope, registry: RoutingRegistry): AddressedDeliveries {
  const isAcknowledgement = envelope.content.kind === "acknowledgement";
  const issues: ValidationIssue[] = [];
  const deliveries: RouteDelivery[] = [];
  let addressedToHub = false;

  envelope.receivers.forEach((party, index) => {
    const addressee = resolveAddressee(party, registry);
    switch (addressee.type) {
      case "unknown":
        issues.push(unknownReceiverIssue(envelope, party, index));
        return;
      case "hub":
        if (isAcknowledgement) addressedToHub = true;
        else issues.push(kindNotAcceptedIssue(envelope, party, index, "the hub itself"));
        return;
      case "endpoint": {
        const endpoint = addressee.endpoint;
        if (!isAcknowledgement && !endpoint.accepts.includes(envelope.kind)) {
          issues.push(kindNotAcceptedIssue(envelope, party, index, `endpoint ${endpoint.id}`));
          return;
        }
        if (!deliveries.some((d) => d.endpoint === endpoint.id)) {
          deliveries.push({ endpoint: endpoint.id, via: "addressed" });
        }
        return;
      }
    }
  });

  return { deliveries, issues, addressedToHub };
}

/** The fact this message states about another message, and what the hub knows of that message. */
export function statedFact(
  envelope: Envelope,
  facts: RouteFacts,
  originalSender: string,
): { fact: MessageFact; about: KnownMessage | undefined } | undefined {
  if (envelope.content.kind === "acknowledgement") {
    const about =
      facts.acknowledgedHubId === undefined
        ? undefined
        : { sentBy: originalSender, routedTo: facts.acknowledgedRoutedTo };
    return { fact: "acknowledgement", about };
  }
  if (supersededMessageId(envelope) === undefined) return undefined;
  const fact = envelope.links.corrects === undefined ? "retraction" : "correction";
  if (facts.original !== undefined) {
    return { fact, about: { sentBy: envelope.sourceEndpoint, routedTo: facts.original.routedTo } };
  }
  return { fact, about: facts.supersededSentByAnother ? { sentBy: undefined, routedTo: undefined } : undefined };
}

function refusedFact(
  envelope: Envelope,
  registry: RoutingRegistry,
  facts: RouteFacts,
  originalSender: string,
): ValidationIssue | undefined {
  const stated = statedFact(envelope, facts, originalSender);
  if (stated === undefined) return undefined;
  const verdict = authorizeFact(stated.fact, envelope.sourceEndpoint, stated.about, registry.hub.id);
  if (verdict.allowed) return undefined;
  return { code: verdict.code, path: factPath(envelope), message: verdict.reason, medcomCode: verdict.medcomCode };
}

function factPath(envelope: Envelope): string {
  if (envelope.content.kind === "acknowledgement") {
    return envelope.format === "oioxml"
      ? "Emessage/*/OriginalEmessage/OriginalLetter/OriginalLetterIdentifier"
      : "Bundle.entry[0].resource.response.identifier";
  }
  return "Bundle.entry.resource(Provenance).entity.what";
}

/** Whether the sender produced the message itself, as far as the message and the hub's facts tell. */
export function isProducedBySender(envelope: Envelope, facts: RouteFacts): boolean {
  if (envelope.links.forwards !== undefined || facts.receivedBySource.size > 0) return false;
  const { content } = envelope;
  // A practice's FHIR lab result names who measured each result: with none of them its own, it received them.
  if (content.kind === "lab-result" && content.results.some((r) => r.producedBySender !== undefined)) {
    return content.results.some((r) => r.producedBySender === true);
  }
  return true;
}

function applyRules(
  envelope: Envelope,
  registry: RoutingRegistry,
  facts: RouteFacts,
  deliveries: RouteDelivery[],
  notes: string[],
): RuleHeldBack[] {
  const subject: RuleSubject = {
    kind: envelope.kind,
    senderKind: registry.byId(envelope.sourceEndpoint)?.kind,
    consentWithheld: isConsentWithheld(envelope.content),
    producedBySender: isProducedBySender(envelope, facts),
  };
  const heldBack: RuleHeldBack[] = [];
  for (const rule of registry.rules()) {
    const verdict = evaluateRule(rule.when, subject);
    if (!verdict.matches) {
      if (verdict.because === "consent-withheld" || verdict.because === "received-by-sender") {
        heldBack.push({ rule: rule.id, because: verdict.because });
      }
      continue;
    }
    for (const target of rule.copyTo) {
      if (target === envelope.sourceEndpoint || deliveries.some((d) => d.endpoint === target)) continue;
      const endpoint = registry.byId(target);
      if (endpoint === undefined || !endpoint.accepts.includes(envelope.kind)) {
        notes.push(`rule ${rule.id}: endpoint ${target} is not registered or does not accept ${envelope.kind}`);
        continue;
      }
      deliveries.push({ endpoint: target, via: { rule: rule.id } });
    }
  }
  return heldBack;
}

/** The message this one corrects or retracts, whose delivery it must not overtake. */
export function supersededMessageId(envelope: Envelope): string | undefined {
  return envelope.links.corrects?.messageId ?? envelope.links.retracts?.messageId;
}

/**
 * The sample of a corrected OIOXML lab result that names no original (XRPT01 has no reference element: a
 * correction is a new report with `svar_rettet` / `rettetbrev` for the same sample). Its original is the
 * sender's previous result for that sample, as the router recorded it.
 */
export function correctedLabSample(envelope: Envelope): string | undefined {
  const { content } = envelope;
  if (content.kind !== "lab-result" || !content.corrected || supersededMessageId(envelope) !== undefined)
    return undefined;
  return content.sampleId;
}

function orderAfterOriginal(envelope: Envelope, facts: RouteFacts, deliveries: RouteDelivery[], notes: string[]) {
  const byLink = supersededMessageId(envelope) !== undefined;
  if (!byLink && correctedLabSample(envelope) === undefined) return;
  const original = facts.original;
  if (original === undefined) {
    notes.push(
      byLink
        ? "the message it corrects or retracts is unknown to the hub: delivered without ordering"
        : "no earlier result for the corrected sample is known to the hub: delivered without ordering",
    );
    return;
  }
  const routedTo = original.routedTo;
  if (routedTo === undefined) {
    notes.push("the message it corrects or retracts was never routed (rejected, or lost): delivered without ordering");
    return;
  }
  for (const delivery of deliveries) {
    if (routedTo.has(delivery.endpoint)) delivery.after = original.hubId;
    else notes.push(`the original was not routed to ${delivery.endpoint}: delivered there without ordering`);
  }
}

function partyPath(envelope: Envelope, index: number): string {
  if (envelope.format === "oioxml") return index === 0 ? "Emessage/*/Receiver" : `Emessage/*/CCReceiver[${index - 1}]`;
  return `Bundle.entry[0].resource.destination[${index}].receiver`;
}

function unknownReceiverIssue(envelope: Envelope, party: Party, index: number): ValidationIssue {
  return {
    code: ROUTER_ERROR_CODES.unknownReceiver,
    path: partyPath(envelope, index),
    message: `no endpoint is registered for the receiver ${describeParty(party)}`,
    medcomCode: MEDCOM_ISSUE_CODES.receiverUnknown,
  };
}

function kindNotAcceptedIssue(envelope: Envelope, party: Party, index: number, who: string): ValidationIssue {
  return {
    code: ROUTER_ERROR_CODES.kindNotAccepted,
    path: partyPath(envelope, index),
    message: `the receiver ${describeParty(party)} (${who}) does not accept ${envelope.kind} messages`,
    medcomCode: MEDCOM_ISSUE_CODES.receiverUnableToReceiveType,
  };
}

import type { MessageContent, RoutingRule } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { ENDPOINTS, envelope, fixtureRegistry, HUB, LAB_DATABANK_RULE, labResult, partyOf } from "../test/fixtures.ts";
import {
  addressedDeliveries,
  NO_ROUTE_FACTS,
  type RouteDecision,
  type RouteFacts,
  resolveRoute,
} from "./route-resolver.ts";

const registry = fixtureRegistry();

function routed(decision: RouteDecision) {
  if (decision.outcome !== "route") throw new Error(`expected a route, got ${JSON.stringify(decision)}`);
  return decision;
}
function rejected(decision: RouteDecision) {
  if (decision.outcome !== "reject") throw new Error(`expected a rejection, got ${JSON.stringify(decision)}`);
  return decision;
}
const endpointsOf = (decision: RouteDecision) => routed(decision).deliveries.map((d) => d.endpoint);

const ack = (respondsTo: string, code: "ok" | "transient-error" | "fatal-error" = "ok"): MessageContent => ({
  kind: "acknowledgement",
  code,
  respondsTo,
  issues: [],
});

describe("resolveRoute: addressing", () => {
  it("routes to the receiver the message addresses, by GLN", () => {
    const decision = resolveRoute(envelope(), registry, NO_ROUTE_FACTS);
    expect(routed(decision).deliveries).toEqual([{ endpoint: "practice-b", via: "addressed" }, expect.anything()]);
  });

  // Catches: the router's addressed deliveries (computed once, to mark the receivers with the facts' read) computed a
  // second time inside the resolver — the work the router hands over done again on every routed message.
  it("takes over the addressed deliveries the router computed, instead of resolving the addressees again", () => {
    const message = envelope();
    const addressed = addressedDeliveries(message, registry);
    const decision = routed(resolveRoute(message, registry, NO_ROUTE_FACTS, addressed));
    expect(decision.deliveries).toBe(addressed.deliveries);
    expect(decision.deliveries).toEqual([{ endpoint: "practice-b", via: "addressed" }, expect.anything()]);
  });

  it("routes by SOR id, primary receiver first then cc, each once", () => {
    const decision = resolveRoute(
      envelope({
        kind: "care-communication",
        format: "fhir+json",
        content: { kind: "care-communication", threadId: "t", category: "nursing" },
        receivers: [
          partyOf(ENDPOINTS.municipality),
          partyOf(ENDPOINTS.practiceB),
          partyOf(ENDPOINTS.municipality, "gln"),
        ],
      }),
      registry,
      NO_ROUTE_FACTS,
    );
    expect(endpointsOf(decision)).toEqual(["municipality-m", "practice-b"]);
  });

  it("rejects a message addressed to an unregistered receiver with the MedCom code, and answers the sender", () => {
    const decision = rejected(
      resolveRoute(envelope({ receivers: [{ gln: "5790000999995" }] }), registry, NO_ROUTE_FACTS),
    );
    expect(decision.answerSender).toBe(true);
    expect(decision.issues).toEqual([
      {
        code: "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER",
        path: "Emessage/*/Receiver",
        message: "no endpoint is registered for the receiver GLN 5790000999995",
        medcomCode: "MSG_Receiver_Identifier_UNKNOWN",
      },
    ]);
  });

  it("rejects the whole message when one cc receiver is unknown, naming that receiver's path", () => {
    const decision = rejected(
      resolveRoute(
        envelope({ receivers: [partyOf(ENDPOINTS.practiceB, "gln"), { gln: "5790000999995" }] }),
        registry,
        NO_ROUTE_FACTS,
      ),
    );
    expect(decision.issues.map((i) => i.path)).toEqual(["Emessage/*/CCReceiver[0]"]);
  });

  it("rejects a kind the receiver does not accept with MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE", () => {
    const decision = rejected(
      resolveRoute(
        envelope({ format: "fhir+json", receivers: [partyOf(ENDPOINTS.hospital)] }),
        registry,
        NO_ROUTE_FACTS,
      ),
    );
    expect(decision.issues).toEqual([
      {
        code: "CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED",
        path: "Bundle.entry[0].resource.destination[0].receiver",
        message: `the receiver SOR ${ENDPOINTS.hospital.identifiers.sor[0]} (endpoint hospital-h) does not accept lab-result messages`,
        medcomCode: "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE",
      },
    ]);
  });

  it("reports every addressing problem at once", () => {
    const decision = rejected(
      resolveRoute(
        envelope({ receivers: [partyOf(ENDPOINTS.hospital, "gln"), { gln: "5790000999995" }] }),
        registry,
        NO_ROUTE_FACTS,
      ),
    );
    expect(decision.issues.map((i) => i.code)).toEqual([
      "CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED",
      "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER",
    ]);
  });

  it("routes a message the hub itself sent (a status return) to the endpoint it addresses", () => {
    const statusReturn = envelope({
      sourceEndpoint: HUB.id,
      format: "fhir+json",
      sender: { sor: HUB.sor, gln: HUB.gln },
      receivers: [partyOf(ENDPOINTS.practiceA)],
      content: {
        kind: "status-update",
        subject: { type: "referral", id: "REF-1" },
        status: "booked",
        occurredAt: "2025-01-01T00:00:00Z",
      },
    });
    const everything: RoutingRule = { id: "all", when: { senderKind: "practice" }, copyTo: ["databank"] };
    const decision = routed(resolveRoute(statusReturn, fixtureRegistry([everything]), NO_ROUTE_FACTS));
    expect(decision.deliveries).toEqual([{ endpoint: "practice-a", via: "addressed" }]);
  });

  it("rejects a non-acknowledgement addressed to the hub itself", () => {
    const decision = rejected(resolveRoute(envelope({ receivers: [{ gln: HUB.gln }] }), registry, NO_ROUTE_FACTS));
    expect(decision.issues[0]?.code).toBe("CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED");
  });

  it("never answers a rejected acknowledgement with another acknowledgement", () => {
    const decision = rejected(
      resolveRoute(
        envelope({ kind: "acknowledgement", content: ack("m1"), receivers: [{ gln: "5790000999995" }] }),
        registry,
        NO_ROUTE_FACTS,
      ),
    );
    expect(decision.answerSender).toBe(false);
  });
});

describe("resolveRoute: lab databank rule", () => {
  it("copies a practice-produced lab result to the databank, naming the rule", () => {
    const decision = routed(resolveRoute(envelope(), registry, NO_ROUTE_FACTS));
    expect(decision.deliveries).toEqual([
      { endpoint: "practice-b", via: "addressed" },
      { endpoint: "databank", via: { rule: "lab-databank" } },
    ]);
  });

  it("counts a result that says nothing about consent as consent given", () => {
    expect(endpointsOf(resolveRoute(envelope({ content: labResult(null) }), registry, NO_ROUTE_FACTS))).toContain(
      "databank",
    );
    expect(endpointsOf(resolveRoute(envelope({ content: labResult(true) }), registry, NO_ROUTE_FACTS))).toContain(
      "databank",
    );
  });

  it("never copies a consent-withheld result to the databank, but still delivers it to its addressee", () => {
    const decision = routed(resolveRoute(envelope({ content: labResult(false) }), registry, NO_ROUTE_FACTS));
    expect(decision.deliveries.map((d) => d.endpoint)).toEqual(["practice-b"]);
    expect(decision.notes).toContain("rule lab-databank not applied: the patient withheld consent");
  });

  it("does not copy a result produced by a laboratory (the rule is for practices)", () => {
    const decision = resolveRoute(envelope({ sourceEndpoint: "lab-x" }), registry, NO_ROUTE_FACTS);
    expect(endpointsOf(decision)).toEqual(["practice-b"]);
  });

  it("does not copy a result the practice received earlier (same message id routed to it)", () => {
    const message = envelope();
    const facts: RouteFacts = { receivedBySource: new Set([message.messageId]) };
    const decision = routed(resolveRoute(message, registry, facts));
    expect(decision.deliveries.map((d) => d.endpoint)).toEqual(["practice-b"]);
    expect(decision.notes).toContain(
      "rule lab-databank not applied: the sender received this message, it did not produce it",
    );
  });

  it("judges a practice's FHIR lab result by who measured each result: none its own is a result it received", () => {
    const fhirLab = (produced: boolean[]) =>
      envelope({
        format: "fhir+json",
        content: {
          kind: "lab-result",
          letterType: "carehub-lab-result",
          consentGiven: true,
          corrected: false,
          results: produced.map((producedBySender, i) => ({ analysisCode: `NPU0000${i}`, producedBySender })),
        },
      });
    const received = routed(resolveRoute(fhirLab([false, false]), registry, NO_ROUTE_FACTS));
    expect(received.deliveries.map((d) => d.endpoint)).toEqual(["practice-b"]);
    expect(received.notes).toContain(
      "rule lab-databank not applied: the sender received this message, it did not produce it",
    );
    // A report with one result of its own is shared (the translator leaves the others out).
    expect(endpointsOf(resolveRoute(fhirLab([false, true]), registry, NO_ROUTE_FACTS))).toEqual([
      "practice-b",
      "databank",
    ]);
  });

  it("does not copy a result that forwards another message", () => {
    const decision = resolveRoute(envelope({ links: { forwards: { messageId: "x" } } }), registry, NO_ROUTE_FACTS);
    expect(endpointsOf(decision)).toEqual(["practice-b"]);
  });

  it("does not copy a message of another kind", () => {
    const decision = resolveRoute(
      envelope({
        kind: "care-communication",
        content: { kind: "care-communication", threadId: "t", category: "c" },
      }),
      registry,
      NO_ROUTE_FACTS,
    );
    expect(endpointsOf(decision)).toEqual(["practice-b"]);
  });

  it("does not add a second copy when the message already addresses the databank", () => {
    const decision = resolveRoute(
      envelope({ receivers: [partyOf(ENDPOINTS.databank, "gln")] }),
      registry,
      NO_ROUTE_FACTS,
    );
    expect(routed(decision).deliveries).toEqual([{ endpoint: "databank", via: "addressed" }]);
  });

  it("never copies a message back to its own sender", () => {
    const toSelf: RoutingRule = { id: "loop", when: { kind: "lab-result" }, copyTo: ["practice-a"] };
    const decision = resolveRoute(envelope(), fixtureRegistry([toSelf]), NO_ROUTE_FACTS);
    expect(endpointsOf(decision)).toEqual(["practice-b"]);
  });

  it("skips a rule target that does not accept the kind, with a note", () => {
    const rule: RoutingRule = { id: "to-hospital", when: {}, copyTo: ["hospital-h"] };
    const decision = routed(resolveRoute(envelope(), fixtureRegistry([rule]), NO_ROUTE_FACTS));
    expect(decision.deliveries.map((d) => d.endpoint)).toEqual(["practice-b"]);
    expect(decision.notes).toEqual([
      "rule to-hospital: endpoint hospital-h is not registered or does not accept lab-result",
    ]);
  });

  it("applies homecare-observation consent (R) to a rule that targets it", () => {
    const rule: RoutingRule = {
      id: "hco-databank",
      when: { kind: "homecare-observation", consentGiven: true },
      copyTo: ["databank"],
    };
    const hco = (consentGiven: boolean) =>
      envelope({
        sourceEndpoint: "municipality-m",
        kind: "homecare-observation",
        format: "fhir+json",
        content: { kind: "homecare-observation", reportStatus: "final", consentGiven, observations: [] },
        receivers: [partyOf(ENDPOINTS.practiceA)],
      });
    expect(endpointsOf(resolveRoute(hco(true), fixtureRegistry([rule]), NO_ROUTE_FACTS))).toEqual([
      "practice-a",
      "databank",
    ]);
    expect(endpointsOf(resolveRoute(hco(false), fixtureRegistry([rule]), NO_ROUTE_FACTS))).toEqual(["practice-a"]);
  });

  it("can target messages the sender received (producedBySender: false) and consent-withheld ones", () => {
    const audit: RoutingRule = {
      id: "audit",
      when: { producedBySender: false, consentGiven: false },
      copyTo: ["databank"],
    };
    const message = envelope({ content: labResult(false) });
    const facts: RouteFacts = { receivedBySource: new Set([message.messageId]) };
    expect(endpointsOf(resolveRoute(message, fixtureRegistry([audit]), facts))).toEqual(["practice-b", "databank"]);
    expect(endpointsOf(resolveRoute(message, fixtureRegistry([audit]), NO_ROUTE_FACTS))).toEqual(["practice-b"]);
    expect(endpointsOf(resolveRoute(envelope(), fixtureRegistry([audit]), facts))).toEqual(["practice-b"]);
  });
});

describe("resolveRoute: corrections and retractions", () => {
  const correction = () => envelope({ links: { corrects: { messageId: "orig-1" } } });

  it("makes a correction wait for its original at every receiver the original reached", () => {
    const facts: RouteFacts = {
      receivedBySource: new Set(),
      original: { hubId: "hub-orig", routedTo: new Set(["practice-b", "databank"]) },
    };
    expect(routed(resolveRoute(correction(), registry, facts)).deliveries).toEqual([
      { endpoint: "practice-b", via: "addressed", after: "hub-orig" },
      { endpoint: "databank", via: { rule: "lab-databank" }, after: "hub-orig" },
    ]);
  });

  it("does not wait at a receiver the original never reached", () => {
    const facts: RouteFacts = {
      receivedBySource: new Set(),
      original: { hubId: "hub-orig", routedTo: new Set(["practice-b"]) },
    };
    const decision = routed(resolveRoute(correction(), registry, facts));
    expect(decision.deliveries).toEqual([
      { endpoint: "practice-b", via: "addressed", after: "hub-orig" },
      { endpoint: "databank", via: { rule: "lab-databank" } },
    ]);
    expect(decision.notes).toEqual(["the original was not routed to databank: delivered there without ordering"]);
  });

  it("delivers a retraction of an unknown original without ordering and says why", () => {
    const decision = routed(
      resolveRoute(envelope({ links: { retracts: { messageId: "nope" } } }), registry, NO_ROUTE_FACTS),
    );
    expect(decision.deliveries.every((d) => d.after === undefined)).toBe(true);
    expect(decision.notes).toEqual([
      "the message it corrects or retracts is unknown to the hub: delivered without ordering",
    ]);
  });

  it("delivers without ordering, and says why, when the original is known but was never routed", () => {
    const facts: RouteFacts = { receivedBySource: new Set(), original: { hubId: "hub-orig" } };
    const decision = routed(resolveRoute(correction(), registry, facts));
    expect(decision.deliveries.every((d) => d.after === undefined)).toBe(true);
    expect(decision.notes).toEqual([
      "the message it corrects or retracts was never routed (rejected, or lost): delivered without ordering",
    ]);
  });

  it("refuses a correction or retraction of a message another endpoint sent, and answers the sender", () => {
    const facts: RouteFacts = { receivedBySource: new Set(["orig-1"]), supersededSentByAnother: true };
    for (const links of [{ corrects: { messageId: "orig-1" } }, { retracts: { messageId: "orig-1" } }]) {
      expect(resolveRoute(envelope({ links }), registry, facts)).toEqual({
        outcome: "reject",
        answerSender: true,
        issues: [expect.objectContaining({ code: "CAREHUB_ERR_ROUTE_CORRECTION_NOT_ORIGINAL_SENDER" })],
      });
    }
  });

  it("does not order a message that neither corrects nor retracts", () => {
    const facts: RouteFacts = {
      receivedBySource: new Set(),
      original: { hubId: "hub-orig", routedTo: new Set(["practice-b"]) },
    };
    const decision = routed(resolveRoute(envelope({ links: { inReplyTo: { messageId: "o" } } }), registry, facts));
    expect(decision.deliveries.every((d) => d.after === undefined)).toBe(true);
  });
});

describe("resolveRoute: corrected OIOXML lab results (no link, same sample)", () => {
  const corrected = (sampleId?: string) =>
    envelope({
      content: { kind: "lab-result", letterType: "XRPT01", consentGiven: null, corrected: true, sampleId, results: [] },
    });

  it("follows the sender's previous result for the same sample at every receiver it reached", () => {
    const facts: RouteFacts = {
      receivedBySource: new Set(),
      original: { hubId: "hub-first", routedTo: new Set(["practice-b", "databank"]) },
    };
    expect(routed(resolveRoute(corrected("S1"), registry, facts)).deliveries.map((d) => d.after)).toEqual([
      "hub-first",
      "hub-first",
    ]);
  });

  it("says so when no earlier result for the sample is known", () => {
    const decision = routed(resolveRoute(corrected("S2"), registry, NO_ROUTE_FACTS));
    expect(decision.notes).toEqual([
      "no earlier result for the corrected sample is known to the hub: delivered without ordering",
    ]);
  });

  it("orders nothing for a corrected result without a sample id, or one that is not corrected", () => {
    const facts: RouteFacts = {
      receivedBySource: new Set(),
      original: { hubId: "x", routedTo: new Set(["practice-b"]) },
    };
    expect(routed(resolveRoute(corrected(undefined), registry, facts)).deliveries.every((d) => !d.after)).toBe(true);
    expect(routed(resolveRoute(envelope(), registry, facts)).deliveries.every((d) => !d.after)).toBe(true);
  });
});

describe("resolveRoute: acknowledgements", () => {
  const ackEnvelope = (receiver = partyOf(ENDPOINTS.practiceA)) =>
    envelope({
      sourceEndpoint: "practice-b",
      kind: "acknowledgement",
      format: "fhir+json",
      content: ack("orig-9", "fatal-error"),
      receivers: [receiver],
    });

  it("routes an acknowledgement to the original sender and matches it to the original", () => {
    const decision = routed(
      resolveRoute(ackEnvelope(), registry, {
        receivedBySource: new Set(),
        acknowledgedHubId: "hub-9",
        acknowledgedRoutedTo: new Set(["practice-b"]),
      }),
    );
    expect(decision.deliveries).toEqual([{ endpoint: "practice-a", via: "addressed" }]);
    expect(decision.acknowledges).toEqual({
      originalSender: "practice-a",
      respondsTo: "orig-9",
      code: "fatal-error",
      originalHubId: "hub-9",
    });
  });

  it("relays an acknowledgement even when the addressee does not list acknowledgements among its accepted kinds", () => {
    const decision = routed(resolveRoute(ackEnvelope(partyOf(ENDPOINTS.hospital)), registry, NO_ROUTE_FACTS));
    expect(decision.deliveries.map((d) => d.endpoint)).toEqual(["hospital-h"]);
  });

  it("relays an acknowledgement of an unknown message, unmatched, with a note", () => {
    const decision = routed(resolveRoute(ackEnvelope(), registry, NO_ROUTE_FACTS));
    expect(decision.deliveries.map((d) => d.endpoint)).toEqual(["practice-a"]);
    expect(decision.acknowledges?.originalHubId).toBeUndefined();
    expect(decision.notes).toContain("acknowledgement of a message unknown to the hub: relayed without matching");
  });

  it("consumes an acknowledgement addressed to the hub itself: matched, delivered nowhere", () => {
    const decision = routed(
      resolveRoute(ackEnvelope({ sor: HUB.sor }), registry, {
        receivedBySource: new Set(),
        acknowledgedHubId: "h",
        acknowledgedRoutedTo: new Set(["practice-b"]),
      }),
    );
    expect(decision.deliveries).toEqual([]);
    expect(decision.acknowledges?.originalSender).toBe("carehub");
  });

  it("refuses an acknowledgement from an endpoint the original was not routed to, and answers it", () => {
    const decision = resolveRoute(ackEnvelope(), registry, {
      receivedBySource: new Set(),
      acknowledgedHubId: "hub-9",
      acknowledgedRoutedTo: new Set(["hospital-h"]),
    });
    expect(decision).toEqual({
      outcome: "reject",
      answerSender: true,
      issues: [
        expect.objectContaining({
          code: "CAREHUB_ERR_ROUTE_ACK_NOT_A_RECEIVER",
          path: "Bundle.entry[0].resource.response.identifier",
          medcomCode: "MSG_NO_MATCH",
        }),
      ],
    });
  });

  it("never copies an acknowledgement by a rule that does not name its kind when the target refuses acks", () => {
    const everything: RoutingRule = { id: "all", when: {}, copyTo: ["databank"] };
    const decision = routed(resolveRoute(ackEnvelope(), fixtureRegistry([everything]), NO_ROUTE_FACTS));
    expect(decision.deliveries.map((d) => d.endpoint)).toEqual(["practice-a"]);
  });

  it("keeps the lab rule away from acknowledgements", () => {
    const decision = routed(resolveRoute(ackEnvelope(), fixtureRegistry([LAB_DATABANK_RULE]), NO_ROUTE_FACTS));
    expect(decision.deliveries.map((d) => d.endpoint)).toEqual(["practice-a"]);
  });
});

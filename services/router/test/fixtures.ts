import type { Endpoint, Envelope, HubIdentity, MessageContent, Party, RoutingRule } from "@carehub/schemas";
import type { RoutingRegistry } from "../src/routing-registry.ts";

/** A GLN with a correct GS1 mod-10 check digit, from its first 12 digits. */
export function gln(first12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return `${first12}${(10 - (sum % 10)) % 10}`;
}

export const HUB: HubIdentity = { id: "carehub", name: "carehub", sor: "999999999999999", gln: gln("579000099999") };

function endpoint(
  id: string,
  kind: Endpoint["kind"],
  n: number,
  accepts: Endpoint["accepts"],
  sends: Endpoint["sends"] = ["acknowledgement"],
): Endpoint {
  return {
    id,
    name: id,
    kind,
    identifiers: { sor: [`10000000000000${n}`], gln: [gln(`57900000000${n}`)] },
    sends,
    accepts,
    delivery: { mode: "http", url: `http://127.0.0.1:1/${id}`, timeoutMs: 1000 },
    auth: { tokenSha256: ["0".repeat(64)] },
    ackTimeoutSeconds: 1800,
    retryWindowSeconds: 86_400,
  };
}

export const ENDPOINTS = {
  practiceA: endpoint(
    "practice-a",
    "practice",
    1,
    ["lab-result", "homecare-observation", "care-communication", "status-update", "notification"],
    ["lab-result", "care-communication", "acknowledgement"],
  ),
  practiceB: endpoint("practice-b", "practice", 2, ["lab-result", "care-communication"], ["lab-result"]),
  lab: endpoint("lab-x", "laboratory", 3, ["lab-requisition"], ["lab-result"]),
  databank: endpoint("databank", "databank", 4, ["lab-result", "homecare-observation"]),
  municipality: endpoint("municipality-m", "municipality", 5, ["care-communication"], ["homecare-observation"]),
  hospital: endpoint("hospital-h", "hospital", 6, ["referral"]),
} as const;

export const LAB_DATABANK_RULE: RoutingRule = {
  id: "lab-databank",
  when: { kind: "lab-result", senderKind: "practice", consentGiven: true, producedBySender: true },
  copyTo: ["databank"],
};

export function fixtureRegistry(rules: RoutingRule[] = [LAB_DATABANK_RULE]): RoutingRegistry {
  const all: Endpoint[] = Object.values(ENDPOINTS);
  return {
    hub: HUB,
    rules: () => rules,
    byId: (id) => all.find((e) => e.id === id),
    resolveParty: (party) =>
      all.find(
        (e) =>
          (party.sor !== undefined && e.identifiers.sor.includes(party.sor)) ||
          (party.gln !== undefined && e.identifiers.gln.includes(party.gln)),
      ),
  };
}

/** The party a message uses to address an endpoint (by SOR for FHIR, by GLN for OIOXML). */
export function partyOf(endpoint: Endpoint, by: "sor" | "gln" = "sor"): Party {
  const value = by === "sor" ? endpoint.identifiers.sor[0] : endpoint.identifiers.gln[0];
  return by === "sor" ? { sor: value } : { gln: value };
}

export function labResult(consentGiven: boolean | null = null): MessageContent {
  return { kind: "lab-result", letterType: "XRPT01", consentGiven, corrected: false, results: [] };
}

/** An OIOXML lab result about one sample, naming no original: a corrected one follows the sender's earlier result. */
export function sampleResult(sampleId: string, corrected: boolean): MessageContent {
  return { kind: "lab-result", letterType: "XRPT01", consentGiven: null, corrected, sampleId, results: [] };
}

let counter = 0;
export function envelope(overrides: Partial<Envelope> = {}): Envelope {
  counter += 1;
  const content = overrides.content ?? labResult();
  return {
    schemaVersion: 1,
    hubId: `hub-${counter}`,
    sourceEndpoint: ENDPOINTS.practiceA.id,
    receivedAt: "2025-01-01T00:00:00.000Z",
    payload: { stream: "T_INGRESS", seq: counter, contentType: "application/xml", sha256: "a".repeat(64), size: 1 },
    kind: content.kind,
    format: "oioxml",
    standard: "XRPT01",
    messageId: `msg-${counter}`,
    sender: partyOf(ENDPOINTS.practiceA, "gln"),
    receivers: [partyOf(ENDPOINTS.practiceB, "gln")],
    links: {},
    ackRequested: true,
    content,
    ...overrides,
  };
}

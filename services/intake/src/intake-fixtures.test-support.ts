import type { Endpoint, ParsedMessage } from "@carehub/schemas";

/** Endpoints and a parsed message for the pure intake tests. */
export function endpoint(overrides: Partial<Endpoint> & Pick<Endpoint, "id">): Endpoint {
  return {
    name: overrides.id,
    kind: "practice",
    identifiers: { sor: [], gln: [] },
    sends: ["homecare-observation"],
    accepts: ["acknowledgement"],
    delivery: { mode: "nats" },
    auth: { tokenSha256: ["0".repeat(64)] },
    ackTimeoutSeconds: 1800,
    retryWindowSeconds: 86_400,
    ...overrides,
  };
}

export const acuteTeam = endpoint({
  id: "acute-team",
  kind: "municipality",
  identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
});
export const practice = endpoint({
  id: "practice",
  identifiers: { sor: ["52581000016005"], gln: ["5790000127092"], ydernummer: "061654" },
  sends: ["lab-result"],
});

export function registryOf(...endpoints: Endpoint[]) {
  return {
    resolveParty(party: { sor?: string; gln?: string }): Endpoint | undefined {
      return (
        endpoints.find((e) => party.sor !== undefined && e.identifiers.sor.includes(party.sor)) ??
        endpoints.find((e) => party.gln !== undefined && e.identifiers.gln.includes(party.gln))
      );
    },
  };
}

export function homecareMessage(overrides: Partial<ParsedMessage> = {}): ParsedMessage {
  return {
    kind: "homecare-observation",
    format: "fhir+json",
    standard: "HomeCareObservation",
    messageId: "489de4f2-6bb1-4a2c-a4b9-3f9bd5b3a2d1",
    envelopeId: "401cbc36-db1e-4fe0-bf90-6df331dde179",
    sender: { sor: "1144561000016002", gln: "5790000123117" },
    receivers: [{ sor: "52581000016005", gln: "5790000127092" }],
    links: {},
    ackRequested: true,
    content: { kind: "homecare-observation", reportStatus: "final", consentGiven: true, observations: [] },
    ...overrides,
  };
}

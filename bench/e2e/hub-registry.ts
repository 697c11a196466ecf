/** The registry a bench hub runs with: two senders, two receivers, each delivered as the scenario says. */
import { hashToken } from "@carehub/registry";
import type { EndpointInput, RegistryConfigInput } from "@carehub/schemas";

export type DeliveryMode = "webhook" | "inbox" | "acks";

export const token = (endpointId: string): string => `bench-token-${endpointId}`;
/** Standard Webhooks secret of an endpoint (bench only, like the sample registry's development secrets). */
export const signingSecret = (endpointId: string): string =>
  `whsec_${Buffer.from(`bench-webhook-secret-${endpointId}`).toString("base64")}`;

type Spec = Omit<EndpointInput, "delivery" | "auth">;
const ACK = "acknowledgement" as const;
export const ENDPOINTS: Spec[] = [
  {
    id: "acute-team",
    name: "Pleje og Rehabilitering (kommunal akutfunktion)",
    kind: "municipality",
    identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
    sends: ["homecare-observation", "care-communication", ACK],
    accepts: ["care-communication", ACK],
  },
  {
    id: "practice",
    name: "Skødstrup Lægepraksis",
    kind: "practice",
    identifiers: { sor: ["52581000016005"], gln: ["5790000127092"], ydernummer: "061654" },
    sends: [ACK],
    accepts: ["homecare-observation", "lab-result", "care-communication", ACK],
  },
  {
    id: "lab",
    name: "Klinisk Kemisk Afdeling, Sygehus Fyn Svendborg",
    kind: "laboratory",
    identifiers: { sor: ["161803000016005"], gln: ["5790000120284"] },
    sends: ["lab-result", ACK],
    accepts: [ACK],
  },
  {
    id: "klamer",
    name: "Finn Klamer",
    kind: "practice",
    identifiers: { sor: ["271828000016003"], gln: ["5790000125012"], ydernummer: "989897" },
    sends: [ACK],
    accepts: ["lab-result", ACK],
  },
];
export const RECEIVERS = ["practice", "klamer"] as const;
export const SENDERS = ["acute-team", "lab"] as const;

/** Whether the endpoint reads a NATS inbox in this mode (the others get signed webhooks). */
export const readsInbox = (mode: DeliveryMode, endpointId: string): boolean =>
  endpointId === "klamer" ? mode !== "webhook" : endpointId === "practice" && mode === "inbox";

export function benchRegistry(mode: DeliveryMode, webhookUrls: Record<string, string>): RegistryConfigInput {
  return {
    hub: { id: "carehub", name: "carehub (bench)", sor: "481521000016007", gln: "5790000199990" },
    endpoints: ENDPOINTS.map((spec) => ({
      ...spec,
      delivery: readsInbox(mode, spec.id)
        ? { mode: "nats" as const }
        : {
            mode: "http" as const,
            url: webhookUrls[spec.id] ?? "",
            timeoutMs: 10_000,
            signing: { secrets: [{ value: signingSecret(spec.id) }] },
          },
      auth: { tokenSha256: [hashToken(token(spec.id))] },
    })),
    rules: [],
    operators: [],
  };
}

import { createHash } from "node:crypto";
import { EndpointRegistry } from "@carehub/registry";
import type { BusinessStatus, Envelope, MessageContent, Party, RegistryConfigInput } from "@carehub/schemas";

/** A practice, a hospital and a municipality, for the tracker's tests. */
export const GP = { id: "gp-clinic", sor: "52581000016005", gln: "5790000127092" };
export const HOSPITAL = { id: "hospital-x", sor: "1144561000016002", gln: "5790000200016" };
export const MUNICIPALITY = { id: "municipality-y", sor: "1144571000016005", gln: "5790000200023" };
export const HUB = { id: "carehub-hub", name: "test hub", sor: "481521000016007", gln: "5790000199990" };

const KINDS = ["referral", "task-requisition", "status-update", "notification", "acknowledgement"] as const;
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

export function trackerRegistry(ackTimeoutSeconds = 1800, kinds: RegistryConfigInput["kinds"] = {}): EndpointRegistry {
  const endpoint = (e: typeof GP, kind: "practice" | "hospital" | "municipality") => ({
    id: e.id,
    name: e.id,
    kind,
    identifiers: { sor: [e.sor], gln: [e.gln] },
    sends: [...KINDS],
    accepts: [...KINDS],
    delivery: { mode: "nats" as const },
    auth: { tokenSha256: [sha(`token-${e.id}`)] },
    ackTimeoutSeconds,
  });
  const config: RegistryConfigInput = {
    hub: HUB,
    endpoints: [endpoint(GP, "practice"), endpoint(HOSPITAL, "hospital"), endpoint(MUNICIPALITY, "municipality")],
    kinds,
  };
  return EndpointRegistry.from(config);
}

export const party = (e: typeof GP): Party => ({ sor: e.sor, gln: e.gln });

export function envelopeOf(
  hubId: string,
  from: typeof GP,
  to: typeof GP,
  content: MessageContent,
  receivedAt: number,
  extra: Partial<Envelope> = {},
): Envelope {
  return {
    schemaVersion: 1,
    hubId,
    kind: content.kind === "empty" ? "empty" : content.kind,
    format: "fhir+json",
    standard: "carehub",
    messageId: `m-${hubId}`,
    sender: party(from),
    receivers: [party(to)],
    links: {},
    ackRequested: true,
    content,
    sourceEndpoint: from.id,
    receivedAt: new Date(receivedAt).toISOString(),
    sentAt: new Date(receivedAt).toISOString(),
    payload: { stream: "X_INGRESS", seq: 1, contentType: "application/fhir+json", sha256: "0".repeat(64), size: 100 },
    ...extra,
  };
}

export function referral(hubId: string, referralId: string, at: number): Envelope {
  return envelopeOf(hubId, GP, HOSPITAL, { kind: "referral", referralId, category: "hospital" }, at);
}

export function taskRequisition(hubId: string, taskId: string, at: number): Envelope {
  return envelopeOf(hubId, GP, MUNICIPALITY, { kind: "task-requisition", taskId, code: "home-visit" }, at);
}

export function statusUpdate(
  hubId: string,
  from: typeof GP,
  to: typeof GP,
  subject: { type: "referral" | "task" | "appointment"; id: string },
  status: BusinessStatus,
  occurredAt: number,
  extra: { basedOn?: { type: "referral" | "task"; id: string }; appointment?: { start: string } } = {},
): Envelope {
  return envelopeOf(
    hubId,
    from,
    to,
    { kind: "status-update", subject, status, occurredAt: new Date(occurredAt).toISOString(), ...extra },
    occurredAt + 1_000,
  );
}

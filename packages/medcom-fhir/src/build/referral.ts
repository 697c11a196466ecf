import type { FhirResource } from "../fhir-json.ts";
import { profileForKind } from "../message-profiles.ts";
import { SYSTEMS } from "../terminology/systems.ts";
import { buildMessage, derivedId, narrative, organization, packageReference, patient, reference } from "./common.ts";
import type { BuiltMessage, ReferralInput } from "./types.ts";

/** A carehub referral message (henvisning): a ServiceRequest, status active, from the referring practice. */
export function buildReferral(input: ReferralInput): BuiltMessage {
  const { ids, referral: r } = input;
  const subject = patient(derivedId(ids, "patient"), input.patient);
  const requester = reference(organization(derivedId(ids, "sender"), input.sender));
  const performer = reference(organization(derivedId(ids, "receiver"), input.receiver));
  const request: FhirResource = {
    resourceType: "ServiceRequest",
    id: derivedId(ids, "service-request"),
    meta: { profile: ["https://carehub.dev/fhir/StructureDefinition/carehub-referral"] },
    text: narrative(`Referral (${r.category})`),
    identifier: [{ system: SYSTEMS.carehubReferralId, value: r.id }],
    status: input.link?.type === "retract" ? "revoked" : "active",
    intent: "order",
    category: [{ coding: [{ system: SYSTEMS.carehubReferralCategory, code: r.category }] }],
  };
  if (r.packageReferralId !== undefined) request.basedOn = [packageReference(r.packageReferralId)];
  if (r.priority !== undefined) request.priority = r.priority;
  Object.assign(request, { subject: reference(subject) });
  if (r.authoredOn !== undefined) request.authoredOn = r.authoredOn;
  Object.assign(request, { requester, performer: [performer] });
  if (r.reasonCode !== undefined)
    request.reasonCode = [{ coding: [{ system: SYSTEMS.sksDiagnosis, code: r.reasonCode }] }];
  if (r.description !== undefined) request.note = [{ text: r.description }];
  return buildMessage(input, profileForKind("referral"), { extra: [subject, request], focus: request });
}

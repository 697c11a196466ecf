import type { FhirResource } from "../fhir-json.ts";
import { CC_PROFILES, profileForKind } from "../message-profiles.ts";
import { EXTENSIONS, SYSTEMS } from "../terminology/systems.ts";
import { buildMessage, derivedId, narrative, organization, patient, practitionerAndRole, reference } from "./common.ts";
import type { BuiltMessage, CareCommunicationInput } from "./types.ts";

const DEFINITION =
  "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComCareCommunicationMessageDefinition|5.0";

/** A MedCom CareCommunication (korrespondancemeddelelse) with one text segment. */
export function buildCareCommunication(input: CareCommunicationInput): BuiltMessage {
  const { ids } = input;
  const subject = patient(derivedId(ids, "patient"), input.patient);
  const senderRef = reference(organization(derivedId(ids, "sender"), input.sender));
  const { practitioner, role } = practitionerAndRole(ids, input.author, senderRef);
  const payloadExtension: object[] = [
    { url: EXTENSIONS.payloadDate, valueDateTime: input.now },
    { url: EXTENSIONS.payloadIdentifier, valueIdentifier: { value: input.segmentId, assigner: senderRef } },
    { url: EXTENSIONS.payloadAuthor, valueReference: reference(role) },
    { url: EXTENSIONS.payloadContact, valueContactPoint: { system: "phone", value: input.author.phone } },
  ];
  const communication: FhirResource = {
    resourceType: "Communication",
    id: derivedId(ids, "communication"),
    meta: {
      profile: ["http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-communication"],
    },
    text: narrative(`CareCommunication: ${input.category}`),
    identifier: [{ value: input.threadId }],
    status: "unknown",
    category: [{ coding: [{ system: SYSTEMS.careCommunicationCategory, code: input.category }] }],
    subject: reference(subject),
    payload: [{ extension: payloadExtension, contentString: input.text }],
  };
  if (input.priority !== undefined) communication.priority = input.priority;
  if (input.topic !== undefined) communication.topic = { text: input.topic };
  const built = buildMessage(input, profileForKind("care-communication"), {
    extra: [subject, communication, role, practitioner],
    focus: communication,
    definition: DEFINITION,
  });
  // CC-1 / CC-3: the MessageHeader and every Provenance declare their CareCommunication profiles (historic
  // Provenance carried over from earlier messages keeps the profile it came with).
  const header = built.bundle.entry?.[0]?.resource;
  for (const entry of built.bundle.entry ?? []) {
    const resource = entry.resource;
    if (resource === header) resource.meta = { profile: [CC_PROFILES.header] };
    else if (resource.resourceType === "Provenance" && isOwnProvenance(resource, header?.id))
      resource.meta = { profile: [CC_PROFILES.provenance] };
  }
  return { bundle: built.bundle, json: JSON.stringify(built.bundle) };
}

/** This message's own Provenance (it targets this MessageHeader), not one carried over from an earlier message. */
function isOwnProvenance(provenance: Record<string, unknown>, headerId: unknown): boolean {
  const target = provenance.target;
  return (
    Array.isArray(target) &&
    target.some((t: { reference?: unknown }) => t?.reference === `MessageHeader/${String(headerId)}`)
  );
}

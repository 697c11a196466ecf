import { hash } from "node:crypto";
import type { Party } from "@carehub/schemas";
import type { FhirBundle, FhirObject, FhirResource } from "../fhir-json.ts";
import { CAREHUB_PROFILE_VERSION, type MessageProfile } from "../message-profiles.ts";
import { patientSystemUri } from "../read/identifiers.ts";
import { EXTENSIONS, IDENTIFIER_SYSTEMS, SOR_ENDPOINT_PREFIX, SYSTEMS } from "../terminology/systems.ts";
import type { BuildIds, BuiltMessage, MessageInput, MessageLink, PatientInput, PractitionerInput } from "./types.ts";

/** Base of every entry's fullUrl; references are relative (`Type/id`), as in MedCom's examples. */
const FULL_URL_BASE = "https://carehub.dev/fhir/";

/** A UUID derived from the message id and a role (name-based, SHA-1, as UUIDv5), so builds are deterministic. */
export function derivedId(ids: BuildIds, role: string): string {
  if (ids.resourceId !== undefined) return ids.resourceId(role);
  const h = hash("sha1", `${ids.messageHeaderId}/${role}`, "hex");
  const variant = ((Number.parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

function escapeXhtml(text: string): string {
  // Most summaries hold no markup: no three passes over them for nothing.
  if (!/[&<>]/.test(text)) return text;
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** MedCom wants a narrative on every resource; carehub's says what the resource is, never who the patient is. */
export function narrative(summary: string): FhirObject {
  return {
    status: "generated",
    div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${escapeXhtml(summary)}</p></div>`,
  };
}

export function reference(resource: FhirResource): { reference: string } {
  return { reference: `${resource.resourceType}/${resource.id}` };
}

/**
 * A logical reference to the package referral (pakkehenvisning) a referral or task belongs to: its referral id in
 * carehub's referral-id naming system, not a resource in the Bundle (the package referral was an earlier message).
 */
export function packageReference(referralId: string): { type: string; identifier: { system: string; value: string } } {
  return { type: "ServiceRequest", identifier: { system: SYSTEMS.carehubReferralId, value: referralId } };
}

export function sorEndpoint(sor: string | undefined): string {
  return sor === undefined ? "http://medcomfhir.dk/unknown" : `${SOR_ENDPOINT_PREFIX}${sor}`;
}

/** A MedComMessagingOrganization from a party (SOR and GLN when known). */
export function organization(id: string, party: Party): FhirResource {
  const identifier: FhirObject[] = [];
  if (party.gln !== undefined) identifier.push({ system: IDENTIFIER_SYSTEMS.glnHttps, value: party.gln });
  if (party.sor !== undefined) identifier.push({ system: IDENTIFIER_SYSTEMS.sor, value: party.sor });
  if (party.ydernummer !== undefined)
    identifier.push({ system: IDENTIFIER_SYSTEMS.ydernummer, value: party.ydernummer });
  const resource: FhirResource = {
    resourceType: "Organization",
    id,
    meta: { profile: ["http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"] },
    text: narrative(`Organization ${party.name ?? ""}`.trim()),
    identifier,
  };
  if (party.name !== undefined) resource.name = party.name;
  return resource;
}

export function patient(id: string, input: PatientInput): FhirResource {
  const system = patientSystemUri(input.identifier.system);
  const identifier: FhirObject = { value: input.identifier.value };
  if (system !== undefined) identifier.system = system;
  if (input.identifier.system === "x-ecpr" || input.identifier.system === "d-ecpr") identifier.use = "temp";
  else if (input.identifier.system === "cpr") identifier.use = "official";
  const resource: FhirResource = {
    resourceType: "Patient",
    id,
    meta: { profile: ["http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-patient"] },
    text: narrative("Patient"),
    identifier: [identifier],
  };
  if (input.family !== undefined || input.given !== undefined) {
    const name: FhirObject = { use: "official" };
    if (input.family !== undefined) name.family = input.family;
    if (input.given !== undefined) name.given = input.given;
    resource.name = [name];
  }
  if (input.deceased !== undefined) resource.deceasedBoolean = input.deceased;
  return resource;
}

export function practitionerAndRole(
  ids: BuildIds,
  input: PractitionerInput,
  organizationRef?: FhirObject,
): { practitioner: FhirResource; role: FhirResource } {
  const name: FhirObject = { family: input.family };
  if (input.given !== undefined) name.given = input.given;
  const practitioner: FhirResource = {
    resourceType: "Practitioner",
    id: derivedId(ids, "practitioner"),
    meta: { profile: ["http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitioner"] },
    text: narrative("Practitioner"),
    name: [name],
  };
  // On the Practitioner, where HomeCareObservation's homecareReport-3 and MedCom's examples look for it.
  if (input.phone !== undefined) practitioner.telecom = [{ system: "phone", value: input.phone }];
  const role: FhirResource = {
    resourceType: "PractitionerRole",
    id: derivedId(ids, "practitioner-role"),
    meta: { profile: ["http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitionerrole"] },
    text: narrative("PractitionerRole"),
    practitioner: reference(practitioner),
  };
  if (organizationRef !== undefined) role.organization = organizationRef;
  if (input.role !== undefined) role.code = [{ coding: [{ system: SYSTEMS.practitionerRole, code: input.role }] }];
  return { practitioner, role };
}

const ACTIVITY_FOR_LINK: Readonly<Record<MessageLink["type"], string>> = {
  reply: "reply-message",
  forward: "forward-message",
  modified: "modified-message",
  retract: "retract-message",
};

export function activityFor(link: MessageLink | undefined): string {
  return link === undefined ? "new-message" : ACTIVITY_FOR_LINK[link.type];
}

/** The Provenance of a new message: its activity, who did it, and which earlier message it builds on. */
export function provenance(args: {
  id: string;
  headerId: string;
  now: string;
  activity: string;
  agent: FhirResource;
  earlier?: MessageLink["to"];
  role?: "revision" | "removal";
}): FhirResource {
  const resource: FhirResource = {
    resourceType: "Provenance",
    id: args.id,
    meta: { profile: ["http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"] },
    text: narrative(`Provenance: ${args.activity}`),
    target: [{ reference: `MessageHeader/${args.headerId}` }],
    occurredDateTime: args.now,
    recorded: args.now,
    activity: { coding: [{ system: SYSTEMS.activityCodes, code: args.activity }] },
    agent: [{ who: reference(args.agent) }],
  };
  if (args.earlier !== undefined) {
    const what =
      args.earlier.senderGln === undefined
        ? { reference: `MessageHeader/${args.earlier.messageId}` }
        : { identifier: { value: `${args.earlier.senderGln}#${args.earlier.messageId}` } };
    resource.entity = [{ role: args.role ?? "revision", what }];
  }
  return resource;
}

export function messageHeader(args: {
  id: string;
  profile: MessageProfile;
  sender: FhirResource;
  receiver: FhirResource;
  senderSor: string | undefined;
  receiverSor: string | undefined;
  focus?: FhirResource;
  definition?: string;
}): FhirResource {
  const header: FhirResource = {
    resourceType: "MessageHeader",
    id: args.id,
    text: narrative(`MessageHeader: ${args.profile.eventCode}`),
    eventCoding: { system: args.profile.eventSystem, code: args.profile.eventCode },
    destination: [
      {
        extension: [
          { url: EXTENSIONS.destinationUse, valueCoding: { system: SYSTEMS.destinationUse, code: "primary" } },
        ],
        endpoint: sorEndpoint(args.receiverSor),
        receiver: reference(args.receiver),
      },
    ],
    sender: reference(args.sender),
    source: { endpoint: sorEndpoint(args.senderSor) },
  };
  if (args.focus !== undefined) header.focus = [reference(args.focus)];
  if (args.definition !== undefined) header.definition = args.definition;
  return header;
}

export function assembleBundle(
  bundleId: string,
  profile: MessageProfile,
  now: string,
  resources: FhirResource[],
): BuiltMessage {
  const isCarehub = profile.eventSystem === SYSTEMS.carehubEventCodes;
  const bundle: FhirBundle = {
    resourceType: "Bundle",
    id: bundleId,
    meta: { profile: [isCarehub ? `${profile.profile}|${CAREHUB_PROFILE_VERSION}` : profile.profile] },
    type: "message",
    timestamp: now,
    entry: resources.map((resource) => ({
      fullUrl: `${FULL_URL_BASE}${resource.resourceType}/${resource.id}`,
      resource,
    })),
  };
  return { bundle, json: JSON.stringify(bundle) };
}

/**
 * The parts every message shares: MessageHeader (first), sender and receiver organizations, this message's
 * Provenance, and the carried-over history. `extra` are the kind's own resources; `focus` is among them.
 */
export function buildMessage(
  input: MessageInput,
  profile: MessageProfile,
  options: {
    extra: FhirResource[];
    focus?: FhirResource;
    definition?: string;
    activity?: string;
    entityRole?: "revision" | "removal";
  },
): BuiltMessage {
  const { ids } = input;
  const sender = organization(derivedId(ids, "sender"), input.sender);
  const receiver = organization(derivedId(ids, "receiver"), input.receiver);
  const headerArgs: Parameters<typeof messageHeader>[0] = {
    id: ids.messageHeaderId,
    profile,
    sender,
    receiver,
    senderSor: input.sender.sor,
    receiverSor: input.receiver.sor,
  };
  if (options.focus !== undefined) headerArgs.focus = options.focus;
  if (options.definition !== undefined) headerArgs.definition = options.definition;
  const activity = options.activity ?? activityFor(input.link);
  const provenanceArgs: Parameters<typeof provenance>[0] = {
    id: derivedId(ids, "provenance"),
    headerId: ids.messageHeaderId,
    now: input.now,
    activity,
    agent: sender,
    role: options.entityRole ?? (input.link?.type === "retract" ? "removal" : "revision"),
  };
  if (input.link !== undefined) provenanceArgs.earlier = input.link.to;
  const resources: FhirResource[] = [
    messageHeader(headerArgs),
    ...options.extra,
    sender,
    receiver,
    ...(input.history ?? []),
    provenance(provenanceArgs),
  ];
  return assembleBundle(ids.bundleId, profile, input.now, resources);
}

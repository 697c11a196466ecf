// Negative cases for the MedCom invariants of CareCommunication (CC-1, CC-3, CC-4, CC-7, CC-8, CC-9, CC-11, CC-12, CC-13, CC-15,
// payload and attachment media types,
// MessageHeader.definition) and HomeCareObservation (definition, performer, media). Each breaks one rule of a
// valid built message; validation-rules.test.ts runs them as FHIR JSON with the other cases,
// medcom-invariants.test.ts as FHIR XML.
import { broken, type Case, type Json, path, res } from "./broken-message.ts";

/** One way to break a valid message of `kind`; `breakIt` returns the issue path it expects. */
interface Breakage {
  code: Case["code"];
  name: string;
  kind: "cc" | "hco";
  breakIt: (b: Json) => string;
}

const SENDER_EXTENSION = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-sender-extension";
const CC_DEFINITION =
  "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComCareCommunicationMessageDefinition";
const HCO_DEFINITION =
  "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComHomeCareObservationMessageDefinition";

const ref = (resource: Json) => ({ reference: `${resource.resourceType}/${resource.id}` });
const receiverRef = (b: Json) => b.entry[0].resource.destination[0].receiver;
const narrative = { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div>' };

function addEntry(b: Json, resource: Json): string {
  b.entry.push({ fullUrl: `https://example.org/fhir/${resource.resourceType}/${resource.id}`, resource });
  return `Bundle.entry[${b.entry.length - 1}].resource`;
}

const encounter = {
  resourceType: "Encounter",
  id: "enc-1",
  text: narrative,
  status: "finished",
  class: { code: "AMB" },
};

function attachment(b: Json, drop: "title" | "identifier" | "none"): Json {
  const segment: Json = {
    extension: [
      {
        url: "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-datetime-extension",
        valueDateTime: b.timestamp,
      },
      {
        url: "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-identifier-extension",
        valueIdentifier: { value: "urn:uuid:7d0b2ff5-1a35-4c4f-8f0c-f0e4e2a1c0d1" },
      },
    ],
    contentAttachment: { contentType: "application/pdf", title: "Plan", url: "https://example.org/plan.pdf" },
  };
  if (drop === "title") delete segment.contentAttachment.title;
  else if (drop === "identifier") segment.extension.pop();
  return segment;
}

const careCommunication: Breakage[] = [
  {
    code: "CAREHUB_ERR_FHIR_DEFINITION_MISSING",
    name: "a CareCommunication without MessageHeader.definition",
    kind: "cc",
    breakIt: (b) => {
      delete b.entry[0].resource.definition;
      return "Bundle.entry[0].resource.definition";
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_DEFINITION_INVALID",
    name: "a CareCommunication declaring MessageDefinition 4.0",
    kind: "cc",
    breakIt: (b) => {
      b.entry[0].resource.definition = `${CC_DEFINITION}|4.0`;
      return "Bundle.entry[0].resource.definition";
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_DEFINITION_INVALID",
    name: "a CareCommunication definition without the |",
    kind: "cc",
    breakIt: (b) => {
      b.entry[0].resource.definition = `${CC_DEFINITION}5.0`;
      return "Bundle.entry[0].resource.definition";
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_PRACTITIONER_NAME",
    name: "a Practitioner without name",
    kind: "cc",
    breakIt: (b) => {
      delete res(b, "Practitioner").name;
      return `${path(b, "Practitioner")}.name`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_PRACTITIONER_NAME",
    name: "a Practitioner whose name is empty",
    kind: "cc",
    breakIt: (b) => {
      res(b, "Practitioner").name = [{ given: [" "] }];
      return `${path(b, "Practitioner")}.name`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_ROLE_PRACTITIONER",
    name: "a PractitionerRole without practitioner",
    kind: "cc",
    breakIt: (b) => {
      delete res(b, "PractitionerRole").practitioner;
      return `${path(b, "PractitionerRole")}.practitioner`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
    name: "a PractitionerRole whose Practitioner is outside the Bundle",
    kind: "cc",
    breakIt: (b) => {
      res(b, "PractitionerRole").practitioner.reference = "Practitioner/elsewhere";
      return `${path(b, "PractitionerRole")}.practitioner`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_SENDER_ORGANIZATION",
    name: "a specific sender from the receiving organization",
    kind: "cc",
    breakIt: (b) => {
      const role = res(b, "PractitionerRole");
      role.organization = structuredClone(receiverRef(b));
      res(b, "Communication").extension = [{ url: SENDER_EXTENSION, valueReference: ref(role) }];
      return `${path(b, "Communication")}.extension[0]`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_SENDER_ORGANIZATION",
    name: "a specific sender that belongs to no organization",
    kind: "cc",
    breakIt: (b) => {
      const role = res(b, "PractitionerRole");
      delete role.organization;
      res(b, "Communication").extension = [{ url: SENDER_EXTENSION, valueReference: ref(role) }];
      return `${path(b, "Communication")}.extension[0]`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
    name: "a specific sender outside the Bundle",
    kind: "cc",
    breakIt: (b) => {
      res(b, "Communication").extension = [
        { url: SENDER_EXTENSION, valueReference: { reference: "PractitionerRole/elsewhere" } },
      ];
      return `${path(b, "Communication")}.extension[0]`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_RECIPIENT_ORGANIZATION",
    name: "a recipient from the sending organization",
    kind: "cc",
    breakIt: (b) => {
      // The built PractitionerRole belongs to the sender.
      res(b, "Communication").recipient = [ref(res(b, "PractitionerRole"))];
      return `${path(b, "Communication")}.recipient[0]`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_RECIPIENT_ORGANIZATION",
    name: "a CareTeam recipient managed by the sender",
    kind: "cc",
    breakIt: (b) => {
      const team = {
        resourceType: "CareTeam",
        id: "team-1",
        text: narrative,
        name: "Team 1",
        managingOrganization: [structuredClone(b.entry[0].resource.sender)],
      };
      addEntry(b, team);
      res(b, "Communication").recipient = [ref(team)];
      return `${path(b, "Communication")}.recipient[0]`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_ENCOUNTER",
    name: "an Encounter the Communication does not reference",
    kind: "cc",
    breakIt: (b) => {
      addEntry(b, structuredClone(encounter));
      return `${path(b, "Communication")}.encounter`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_ENCOUNTER",
    name: "Communication.encounter without an Encounter in the Bundle",
    kind: "cc",
    breakIt: (b) => {
      res(b, "Communication").encounter = { reference: "Encounter/enc-1" };
      return `${path(b, "Communication")}.encounter`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_TEXT_SEGMENT_MISSING",
    name: "a payload of one attachment only",
    kind: "cc",
    breakIt: (b) => {
      const communication = res(b, "Communication");
      const segment = communication.payload[0];
      delete segment.contentString;
      segment.contentAttachment = {
        contentType: "application/pdf",
        title: "Plan",
        url: "https://example.org/plan.pdf",
      };
      return `${path(b, "Communication")}.payload`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_TEXT_SEGMENT_INCOMPLETE",
    name: "a text segment without author contact",
    kind: "cc",
    breakIt: (b) => {
      const segment = res(b, "Communication").payload[0];
      segment.extension = segment.extension.filter((e: Json) => !String(e.url).endsWith("contact-extension"));
      return `${path(b, "Communication")}.payload[0].extension`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_TEXT_SEGMENT_INCOMPLETE",
    name: "a text segment without identifier",
    kind: "cc",
    breakIt: (b) => {
      const segment = res(b, "Communication").payload[0];
      segment.extension = segment.extension.filter((e: Json) => !String(e.url).endsWith("identifier-extension"));
      return `${path(b, "Communication")}.payload[0].extension`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_ATTACHMENT_INCOMPLETE",
    name: "an attachment without title",
    kind: "cc",
    breakIt: (b) => {
      res(b, "Communication").payload.push(attachment(b, "title"));
      return `${path(b, "Communication")}.payload[1].contentAttachment.title`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_ATTACHMENT_TYPE",
    name: "an attached ZIP file (not in medcom-core-attachmentMimeTypes)",
    kind: "cc",
    breakIt: (b) => {
      const segment = attachment(b, "none");
      segment.contentAttachment = { contentType: "application/zip", title: "Plan", data: "AAAA" };
      res(b, "Communication").payload.push(segment);
      return `${path(b, "Communication")}.payload[1].contentAttachment.contentType`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_ATTACHMENT_TYPE",
    name: "an attached file without content type",
    kind: "cc",
    breakIt: (b) => {
      const segment = attachment(b, "none");
      segment.contentAttachment = { title: "Plan", data: "AAAA" };
      res(b, "Communication").payload.push(segment);
      return `${path(b, "Communication")}.payload[1].contentAttachment.contentType`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_PROFILE",
    name: "a MessageHeader without the CareCommunication MessageHeader profile (CC-1)",
    kind: "cc",
    breakIt: (b) => {
      delete b.entry[0].resource.meta;
      return "Bundle.entry[0].resource.meta.profile";
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_PROFILE",
    name: "a Provenance declaring the generic messaging profile (CC-3)",
    kind: "cc",
    breakIt: (b) => {
      res(b, "Provenance").meta = {
        profile: ["http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"],
      };
      return `${path(b, "Provenance")}.meta.profile`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_AUTHOR_ROLE",
    name: "a segment author without a role (CC-7)",
    kind: "cc",
    breakIt: (b) => {
      delete res(b, "PractitionerRole").code;
      return `${path(b, "PractitionerRole")}.code`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_AUTHOR_ROLE",
    name: "a segment author's role both coded and as text (CC-7)",
    kind: "cc",
    breakIt: (b) => {
      res(b, "PractitionerRole").code[0].text = "Sygeplejerske";
      return `${path(b, "PractitionerRole")}.code`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_AUTHOR_NAME",
    name: "a segment author whose Practitioner has no name (CC-8)",
    kind: "cc",
    breakIt: (b) => {
      delete res(b, "Practitioner").name;
      return `${path(b, "PractitionerRole")}.practitioner`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_EPISODE_OF_CARE",
    name: "a referenced Encounter without an episode-of-care identifier (CC-9)",
    kind: "cc",
    breakIt: (b) => {
      const encounterPath = addEntry(b, structuredClone(encounter));
      res(b, "Communication").encounter = { reference: "Encounter/enc-1" };
      return `${encounterPath}.episodeOfCare`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_ATTACHMENT_INCOMPLETE",
    name: "an attachment without identifier",
    kind: "cc",
    breakIt: (b) => {
      res(b, "Communication").payload.push(attachment(b, "identifier"));
      return `${path(b, "Communication")}.payload[1].extension`;
    },
  },
];

function addMedia(b: Json, contentType: string | undefined): string {
  const media: Json = { resourceType: "Media", id: "media-1", text: narrative, status: "completed" };
  media.content = contentType === undefined ? { title: "EKG" } : { contentType, title: "EKG", data: "AAAA" };
  const mediaPath = addEntry(b, media);
  res(b, "DiagnosticReport").media = [{ link: ref(media) }];
  return mediaPath;
}

const homeCareObservation: Breakage[] = [
  {
    code: "CAREHUB_ERR_FHIR_DEFINITION_MISSING",
    name: "a HomeCareObservation without MessageHeader.definition",
    kind: "hco",
    breakIt: (b) => {
      delete b.entry[0].resource.definition;
      return "Bundle.entry[0].resource.definition";
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_DEFINITION_INVALID",
    name: "a HomeCareObservation declaring MessageDefinition 2.0",
    kind: "hco",
    breakIt: (b) => {
      b.entry[0].resource.definition = `${HCO_DEFINITION}|2.0`;
      return "Bundle.entry[0].resource.definition";
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_PERFORMER",
    name: "the producer organization as the only performer",
    kind: "hco",
    breakIt: (b) => {
      const report = res(b, "DiagnosticReport");
      report.performer = [report.performer[0]];
      return `${path(b, "DiagnosticReport")}.performer`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_PERFORMER",
    name: "two organizations as performers",
    kind: "hco",
    breakIt: (b) => {
      const report = res(b, "DiagnosticReport");
      report.performer = [report.performer[0], structuredClone(receiverRef(b))];
      return `${path(b, "DiagnosticReport")}.performer`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
    name: "a performer outside the Bundle",
    kind: "hco",
    breakIt: (b) => {
      res(b, "DiagnosticReport").performer[1].reference = "PractitionerRole/elsewhere";
      return `${path(b, "DiagnosticReport")}.performer[1]`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_PERFORMER_ROLE",
    name: "a performing role without code",
    kind: "hco",
    breakIt: (b) => {
      delete res(b, "PractitionerRole").code;
      return `${path(b, "PractitionerRole")}.code`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_PERFORMER_NAME",
    name: "a performing practitioner without name",
    kind: "hco",
    breakIt: (b) => {
      delete res(b, "Practitioner").name;
      return `${path(b, "Practitioner")}.name`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_PERFORMER_PHONE",
    name: "a performing practitioner without phone",
    kind: "hco",
    breakIt: (b) => {
      delete res(b, "Practitioner").telecom;
      return `${path(b, "Practitioner")}.telecom`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_PERFORMER_PHONE",
    name: "the phone on the PractitionerRole, not the Practitioner",
    kind: "hco",
    breakIt: (b) => {
      res(b, "PractitionerRole").telecom = res(b, "Practitioner").telecom;
      delete res(b, "Practitioner").telecom;
      return `${path(b, "Practitioner")}.telecom`;
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_MEDIA_TYPE",
    name: "a Word document as media",
    kind: "hco",
    breakIt: (b) => `${addMedia(b, "application/msword")}.content.contentType`,
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_MEDIA_TYPE",
    name: "media without content type",
    kind: "hco",
    breakIt: (b) => `${addMedia(b, undefined)}.content.contentType`,
  },
  {
    code: "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
    name: "a media link outside the Bundle",
    kind: "hco",
    breakIt: (b) => {
      res(b, "DiagnosticReport").media = [{ link: { reference: "Media/elsewhere" } }];
      return `${path(b, "DiagnosticReport")}.media[0].link`;
    },
  },
];

const BREAKAGES = [...careCommunication, ...homeCareObservation];

/** The cases as FHIR JSON, for validation-rules.test.ts. */
export const INVARIANT_CASES: Case[] = BREAKAGES.map((b) => ({
  code: b.code,
  name: b.name,
  run: broken(b.kind, b.breakIt),
}));

/** The same cases sent as FHIR XML. */
export const INVARIANT_CASES_XML: Case[] = BREAKAGES.map((b) => ({
  code: b.code,
  name: b.name,
  run: broken(b.kind, b.breakIt, "fhir+xml"),
}));

import { describe, expect, it } from "vitest";
import {
  at,
  broken,
  builders,
  type Case,
  type Json,
  path,
  raw,
  receiverOf,
  receiverPath,
  res,
  sender,
  senderPath,
} from "../test/broken-message.ts";
import { INVARIANT_CASES } from "../test/invariant-cases.ts";
import * as sample from "../test/sample-inputs.ts";
import { buildAcknowledgement } from "./build/acknowledgement.ts";
import { buildHospitalNotification } from "./build/hospital-notification.ts";
import { FHIR_ISSUE_CODES, type FhirIssueCode } from "./codes.ts";
import { parseFhirMessage } from "./parse-fhir-message.ts";
import { serializeFhirXml } from "./xml/serialize-fhir-xml.ts";

const ccXml = () => serializeFhirXml(builders.hco().bundle);

const cases: Case[] = [
  // Reading the bytes.
  {
    code: "CAREHUB_ERR_FHIR_TOO_LARGE",
    name: "over the size limit",
    run: raw(builders.cc().json, "(input)", { limits: { maxBytes: 1000 } }),
  },
  {
    code: "CAREHUB_ERR_FHIR_TOO_DEEP",
    name: "over the depth limit",
    run: raw(builders.cc().json, "(input)", { limits: { maxDepth: 5 } }),
  },
  {
    code: "CAREHUB_ERR_FHIR_TOO_MANY_ENTRIES",
    name: "over the entry limit",
    run: raw(builders.cc().json, "Bundle.entry", { limits: { maxEntries: 3 } }),
  },
  {
    code: "CAREHUB_ERR_FHIR_ENCODING",
    name: "invalid UTF-8",
    run: raw(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "(input)"),
  },
  { code: "CAREHUB_ERR_FHIR_FORMAT_UNKNOWN", name: "neither JSON nor XML", run: raw("MSH|^~\\&|", "(input)") },
  { code: "CAREHUB_ERR_FHIR_JSON_SYNTAX", name: "broken JSON", run: raw('{"resourceType": "Bundle",', "(input)") },
  {
    code: "CAREHUB_ERR_FHIR_JSON_NOT_OBJECT",
    name: "a JSON array",
    run: raw("[1, 2]", "(input)", { format: "fhir+json" }),
  },
  {
    code: "CAREHUB_ERR_FHIR_FORBIDDEN_KEY",
    name: "a __proto__ key",
    run: () => {
      const text = builders.cc().json.replace('"eventCoding":', '"__proto__":{"polluted":true},"eventCoding":');
      return { result: parseFhirMessage(text), path: "Bundle.entry[0].resource.__proto__" };
    },
  },
  {
    code: "CAREHUB_ERR_FHIR_XML_SYNTAX",
    name: "mismatched tags",
    run: raw('<Bundle xmlns="http://hl7.org/fhir"><id></Bundle>', "(input)"),
  },
  {
    code: "CAREHUB_ERR_FHIR_XML_DOCTYPE",
    name: "a DOCTYPE",
    run: raw('<!DOCTYPE Bundle><Bundle xmlns="http://hl7.org/fhir"/>', "(input)"),
  },
  {
    code: "CAREHUB_ERR_FHIR_XML_NAMESPACE",
    name: "no FHIR namespace",
    run: raw("<Bundle><id value='x'/></Bundle>", "Bundle"),
  },
  {
    code: "CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT",
    name: "an element FHIR does not define",
    run: () => ({
      result: parseFhirMessage(
        ccXml().replace('<type value="message"/>', '<type value="message"/><colour value="red"/>'),
      ),
      path: "Bundle.colour",
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_XML_VALUE",
    name: "a decimal with a comma",
    run: () => {
      const bundle = builders.hco().bundle as Json;
      return {
        result: parseFhirMessage(serializeFhirXml(bundle).replace('<value value="38.7"/>', '<value value="38,7"/>')),
        path: `${path(bundle, "Observation")}.valueQuantity.value`,
      };
    },
  },
  // Bundle and MessageHeader.
  {
    code: "CAREHUB_ERR_FHIR_NOT_BUNDLE",
    name: "a Patient",
    run: raw('{"resourceType":"Patient","id":"p"}', "resourceType"),
  },
  {
    code: "CAREHUB_ERR_FHIR_BUNDLE_TYPE",
    name: "a document Bundle",
    run: broken("cc", (b) => {
      b.type = "document";
      return "Bundle.type";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_BUNDLE_ID_MISSING",
    name: "no Bundle.id",
    run: broken("cc", (b) => {
      delete b.id;
      return "Bundle.id";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_TIMESTAMP_MISSING",
    name: "no timestamp",
    run: broken("cc", (b) => {
      delete b.timestamp;
      return "Bundle.timestamp";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_ENTRY_INVALID",
    name: "an entry without a resource",
    run: broken("cc", (b) => {
      b.entry.push({ fullUrl: "urn:uuid:x" });
      return `Bundle.entry[${b.entry.length - 1}]`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_FIRST_ENTRY_NOT_HEADER",
    name: "the Patient first",
    run: broken("cc", (b) => {
      [b.entry[0], b.entry[1]] = [b.entry[1], b.entry[0]];
      return "Bundle.entry[0].resource";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_ID_INVALID",
    name: "an id with a space",
    run: broken("cc", (b) => {
      res(b, "Patient").id = "not valid";
      return `${path(b, "Patient")}.id`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_DATETIME_INVALID",
    name: "a timestamp in words",
    run: broken("cc", (b) => {
      b.timestamp = "yesterday";
      return "Bundle.timestamp";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_TIMEZONE_MISSING",
    name: "a timestamp without zone",
    run: broken("cc", (b) => {
      b.timestamp = "2026-03-02T10:15:00";
      return "Bundle.timestamp";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_EVENT_MISSING",
    name: "an event without code",
    run: broken("cc", (b) => {
      delete b.entry[0].resource.eventCoding.code;
      return "Bundle.entry[0].resource.eventCoding";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_EVENT_UNKNOWN",
    name: "an unknown event",
    run: broken("cc", (b) => {
      b.entry[0].resource.eventCoding.code = "lab-result-message";
      return "Bundle.entry[0].resource.eventCoding";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_DESTINATION_PRIMARY",
    name: "two primary destinations",
    run: broken("cc", (b) => {
      b.entry[0].resource.destination.push(structuredClone(b.entry[0].resource.destination[0]));
      return "Bundle.entry[0].resource.destination";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_DESTINATION_CC",
    name: "a cc destination",
    run: broken("hn", (b) => {
      const cc = structuredClone(b.entry[0].resource.destination[0]);
      cc.extension[0].valueCoding.code = "cc";
      b.entry[0].resource.destination.push(cc);
      return "Bundle.entry[0].resource.destination[1]";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_DESTINATION_USE",
    name: "a destination without use",
    run: broken("cc", (b) => {
      delete b.entry[0].resource.destination[0].extension;
      return "Bundle.entry[0].resource.destination[0].extension";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
    name: "a sender outside the Bundle",
    run: broken("cc", (b) => {
      b.entry[0].resource.sender.reference = "Organization/elsewhere";
      return "Bundle.entry[0].resource.sender";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_SENDER_ID_MISSING",
    name: "a sender without SOR id",
    run: broken("cc", (b) => {
      const org = sender(b);
      org.identifier = org.identifier.filter((i: Json) => i.system !== "urn:oid:1.2.208.176.1.1");
      return `${senderPath(b)}.identifier`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_RECEIVER_ID_MISSING",
    name: "a receiver without GLN",
    run: broken("cc", (b) => {
      const org = receiverOf(b).resource;
      org.identifier = org.identifier.filter((i: Json) => !String(i.system).includes("gs1"));
      return `${receiverPath(b)}.identifier`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_SOR_INVALID",
    name: "a 5-digit SOR id",
    run: broken("cc", (b) => {
      const org = sender(b);
      const i = org.identifier.findIndex((x: Json) => x.system === "urn:oid:1.2.208.176.1.1");
      org.identifier[i].value = "12345";
      return `${senderPath(b)}.identifier[${i}].value`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_GLN_INVALID",
    name: "a GLN with a wrong check digit",
    run: broken("cc", (b) => {
      const org = receiverOf(b).resource;
      const i = org.identifier.findIndex((x: Json) => String(x.system).includes("gs1"));
      org.identifier[i].value = "5790001348121";
      return `${receiverPath(b)}.identifier[${i}].value`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_FOCUS_MISSING",
    name: "no focus",
    run: broken("cc", (b) => {
      delete b.entry[0].resource.focus;
      return "Bundle.entry[0].resource.focus";
    }),
  },
  // Provenance.
  {
    code: "CAREHUB_ERR_FHIR_PROVENANCE_MISSING",
    name: "no Provenance",
    run: broken("cc", (b) => {
      b.entry.splice(at(b, "Provenance"), 1);
      return "Bundle.entry";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_ACTIVITY_NOT_ALLOWED",
    name: "a retracted CareCommunication",
    run: broken("cc", (b) => {
      const p = res(b, "Provenance");
      p.activity.coding[0].code = "retract-message";
      p.entity = [{ role: "removal", what: { reference: "MessageHeader/earlier" } }];
      return `${path(b, "Provenance")}.activity`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_PROVENANCE_ENTITY",
    name: "a reply that names no earlier message",
    run: broken("cc", (b) => {
      res(b, "Provenance").activity.coding[0].code = "reply-message";
      return `${path(b, "Provenance")}.entity`;
    }),
  },
  // Patient.
  {
    code: "CAREHUB_ERR_FHIR_PATIENT_COUNT",
    name: "two patients",
    run: broken("cc", (b) => {
      const twin = structuredClone(b.entry[at(b, "Patient")]);
      twin.resource.id = "second-patient";
      b.entry.push(twin);
      return "Bundle.entry";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_PATIENT_ID_MISSING",
    name: "a patient with a local id only",
    run: broken("cc", (b) => {
      res(b, "Patient").identifier[0].system = "urn:local";
      return `${path(b, "Patient")}.identifier`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_CPR_INVALID",
    name: "a CPR number born on the 32nd",
    run: broken("cc", (b) => {
      res(b, "Patient").identifier[0].value = "3209479989";
      return `${path(b, "Patient")}.identifier[0].value`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_ECPR_INVALID",
    name: "an X-eCPR of the wrong shape",
    run: broken("cc", (b) => {
      res(b, "Patient").identifier[0] = { use: "temp", system: "urn:oid:1.2.208.176.1.6.1.1", value: "0703922VJ4" };
      return `${path(b, "Patient")}.identifier[0].value`;
    }),
  },
  // CareCommunication.
  {
    code: "CAREHUB_ERR_FHIR_CC_CATEGORY",
    name: "an unknown category",
    run: broken("cc", (b) => {
      res(b, "Communication").category[0].coding[0].code = "gossip";
      return `${path(b, "Communication")}.category`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_TOPIC_REQUIRED",
    name: "category other without topic",
    run: broken("cc", (b) => {
      res(b, "Communication").category[0].coding[0].code = "other";
      return `${path(b, "Communication")}.topic`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_PRIORITY_NOT_ALLOWED",
    name: "priority outside regarding-referral",
    run: broken("cc", (b) => {
      res(b, "Communication").priority = "asap";
      return `${path(b, "Communication")}.priority`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_CC_IDENTIFIER",
    name: "a thread id that is not a urn:uuid",
    run: broken("cc", (b) => {
      res(b, "Communication").identifier[0].value = "thread-1";
      return `${path(b, "Communication")}.identifier`;
    }),
  },
  // HospitalNotification.
  {
    code: "CAREHUB_ERR_FHIR_HN_ENCOUNTER_CLASS",
    name: "an ambulatory encounter",
    run: broken("hn", (b) => {
      res(b, "Encounter").class.code = "AMB";
      return `${path(b, "Encounter")}.class`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_HN_ENCOUNTER_STATUS",
    name: "a planned encounter",
    run: broken("hn", (b) => {
      res(b, "Encounter").status = "planned";
      return `${path(b, "Encounter")}.status`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_HN_CPR_REQUIRED",
    name: "a patient with an X-eCPR",
    run: broken("hn", (b) => {
      res(b, "Patient").identifier[0] = { use: "temp", system: "urn:oid:1.2.208.176.1.6.1.1", value: "0703921VJ4" };
      return `${path(b, "Patient")}.identifier`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_HN_EPISODE_OF_CARE",
    name: "no episode of care",
    run: broken("hn", (b) => {
      delete res(b, "Encounter").episodeOfCare;
      return `${path(b, "Encounter")}.episodeOfCare`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_HN_LEAVE_START",
    name: "leave without a leave period",
    run: broken("hn", (b) => {
      res(b, "Encounter").status = "onleave";
      res(b, "Provenance").activity.coding[0].code = "start-leave-inpatient";
      return `${path(b, "Encounter")}.extension`;
    }),
  },
  // HomeCareObservation.
  {
    code: "CAREHUB_ERR_FHIR_HCO_REPORT_STATUS",
    name: "a preliminary report",
    run: broken("hco", (b) => {
      res(b, "DiagnosticReport").status = "preliminary";
      return `${path(b, "DiagnosticReport")}.status`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_OBSERVATION_CODE",
    name: "a code outside the repertoire",
    run: broken("hco", (b) => {
      res(b, "Observation", 1).code.coding[0].code = "NPU99999";
      return `${path(b, "Observation", 1)}.code`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_VALUE_TOO_LONG",
    name: "a 13-character valueString",
    run: broken("hco", (b) => {
      res(b, "Observation", 1).valueString = "1234567890123";
      return `${path(b, "Observation", 1)}.valueString`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_HCO_RESULT_MISSING",
    name: "a result outside the Bundle",
    run: broken("hco", (b) => {
      res(b, "DiagnosticReport").result[1].reference = "Observation/gone";
      return `${path(b, "DiagnosticReport")}.result[1]`;
    }),
  },
  // carehub lab result.
  {
    code: "CAREHUB_ERR_FHIR_LAB_REPORT_STATUS",
    name: "a registered (unreleased) report",
    run: broken("lab", (b) => {
      res(b, "DiagnosticReport").status = "registered";
      return `${path(b, "DiagnosticReport")}.status`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_LAB_RESULT_MISSING",
    name: "a result outside the Bundle",
    run: broken("lab", (b) => {
      res(b, "DiagnosticReport").result[1].reference = "Observation/gone";
      return `${path(b, "DiagnosticReport")}.result[1]`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_LAB_ANALYSIS_CODE",
    name: "a LOINC code only",
    run: broken("lab", (b) => {
      res(b, "Observation", 1).code.coding[0].system = "http://loinc.org";
      return `${path(b, "Observation", 1)}.code`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_LAB_RESULT_STATUS",
    name: "a cancelled result",
    run: broken("lab", (b) => {
      res(b, "Observation", 1).status = "cancelled";
      return `${path(b, "Observation", 1)}.status`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_LAB_VALUE_TOO_LONG",
    name: "a 13-character valueString",
    run: broken("lab", (b) => {
      const observation = res(b, "Observation", 1);
      delete observation.valueQuantity;
      observation.valueString = "1234567890123";
      return `${path(b, "Observation", 1)}.valueString`;
    }),
  },
  // Acknowledgement.
  {
    code: "CAREHUB_ERR_FHIR_ACK_RESPONSE_MISSING",
    name: "no response",
    run: broken("ack", (b) => {
      delete b.entry[0].resource.response;
      return "Bundle.entry[0].resource.response";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_ACK_RESPONSE_CODE",
    name: "a response code maybe",
    run: broken("ack", (b) => {
      b.entry[0].resource.response.code = "maybe";
      return "Bundle.entry[0].resource.response.code";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_ACK_OUTCOME_MISSING",
    name: "a negative ack without OperationOutcome",
    run: broken("ack", (b) => {
      b.entry.splice(at(b, "OperationOutcome"), 1);
      delete b.entry[0].resource.response.details;
      return "Bundle.entry";
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_ACK_ISSUE_CODE",
    name: "an issue code outside the ValueSet",
    run: broken("ack", (b) => {
      res(b, "OperationOutcome").issue[0].details.coding[0].code = "MSG_SOMETHING";
      return `${path(b, "OperationOutcome")}.issue[0].details`;
    }),
  },
  // carehub profiles.
  {
    code: "CAREHUB_ERR_FHIR_REFERRAL_ID_MISSING",
    name: "a referral without identifier",
    run: broken("ref", (b) => {
      delete res(b, "ServiceRequest").identifier;
      return `${path(b, "ServiceRequest")}.identifier`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_REFERRAL_CATEGORY",
    name: "an unknown referral category",
    run: broken("ref", (b) => {
      res(b, "ServiceRequest").category[0].coding[0].code = "dentist";
      return `${path(b, "ServiceRequest")}.category`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_TASK_ID_MISSING",
    name: "a task without identifier",
    run: broken("task", (b) => {
      delete res(b, "Task").identifier;
      return `${path(b, "Task")}.identifier`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_TASK_CODE_MISSING",
    name: "a task without code",
    run: broken("task", (b) => {
      delete res(b, "Task").code;
      return `${path(b, "Task")}.code`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_NOTIFICATION_TOPIC_MISSING",
    name: "a notification without topic",
    run: broken("note", (b) => {
      delete res(b, "Communication").topic;
      return `${path(b, "Communication")}.topic`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_DATETIME_INVALID",
    name: "a notification whose expiry has no time of day",
    run: broken("note", (b) => {
      res(b, "Communication").extension = [
        {
          url: "https://carehub.dev/fhir/StructureDefinition/carehub-notification-expires",
          valueDateTime: "2026-03-02",
        },
      ];
      return `${path(b, "Communication")}.extension`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_STATUS_SUBJECT",
    name: "an appointment without identifier",
    run: broken("status", (b) => {
      delete res(b, "Appointment").identifier;
      return `${path(b, "Appointment")}.identifier`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_STATUS_UNKNOWN",
    name: "a business status outside carehub's",
    run: broken("status", (b) => {
      res(b, "Appointment").extension[0].extension[0].valueCoding.code = "lost";
      return `${path(b, "Appointment")}.extension`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_STATUS_OCCURRED_AT",
    name: "a status change without time",
    run: broken("status", (b) => {
      const change = res(b, "Appointment").extension[0];
      change.extension = change.extension.filter((e: Json) => e.url !== "occurredAt");
      return `${path(b, "Appointment")}.extension`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_STATUS_APPOINTMENT_START",
    name: "a booking without start",
    run: broken("status", (b) => {
      delete res(b, "Appointment").start;
      return `${path(b, "Appointment")}.start`;
    }),
  },
  // The MedCom invariants of CareCommunication and HomeCareObservation.
  ...INVARIANT_CASES,
];

/**
 * Checks MedCom does not make (its own examples and test scripts break them): carried as warnings in the
 * timeline, never a rejection.
 */
const warningCases: Case[] = [
  {
    code: "CAREHUB_ERR_FHIR_DUPLICATE_RESOURCE",
    name: "the same Practitioner twice",
    run: broken("cc", (b) => {
      b.entry.push(structuredClone(b.entry[at(b, "Practitioner")]));
      return `Bundle.entry[${b.entry.length - 1}].resource.id`;
    }),
  },
  {
    code: "CAREHUB_ERR_FHIR_HN_EVENT_INCONSISTENT",
    name: "an admission on leave",
    run: broken("hn", (b) => {
      const e = res(b, "Encounter");
      e.status = "onleave";
      e.extension = [
        {
          url: "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalnotifiation-leave-period-extension",
          valuePeriod: { start: "2026-03-02T12:00:00+01:00" },
        },
      ];
      return path(b, "Encounter");
    }),
  },
];

/** Codes with no negative test here, and why. */
const NOT_HERE: Partial<Record<FhirIssueCode, string>> = {
  CAREHUB_ERR_FHIR_ACTIVITY_UNKNOWN: "a warning, tested below",
  CAREHUB_ERR_FHIR_DUPLICATE_RESOURCE: "a warning, in warningCases",
  CAREHUB_ERR_FHIR_HN_EVENT_INCONSISTENT: "a warning, in warningCases",
  CAREHUB_ERR_FHIR_NARRATIVE_MISSING: "a warning, tested in medcom-invariants.test.ts",
  CAREHUB_ERR_FHIR_XML_SERIALIZE: "thrown by serializeFhirXml, tested in serialize-fhir-xml.test.ts",
  CAREHUB_ERR_FHIR_INTERNAL: "only a bug can raise it; the fuzz test checks it never appears",
};

describe("every validation rule rejects with its documented code and path", () => {
  it.each(cases.map((c) => [c.code, c.name, c] as const))("%s (%s)", (code, _name, c) => {
    const { result, path: expected } = c.run();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const found = result.issues.filter((i) => i.code === code);
    expect(found.map((i) => i.path)).toContain(expected);
    for (const issue of found) expect(issue.medcomCode).toBe(FHIR_ISSUE_CODES[code].medcom);
  });

  // Catches: a hub-only check turned back into a rejection of messages MedCom's own test scripts send.
  it.each(warningCases.map((c) => [c.code, c.name, c] as const))("%s (%s) is only a warning", (code, _name, c) => {
    const { result, path: expected } = c.run();
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (!result.ok) return;
    expect(result.warnings.filter((w) => w.code === code).map((w) => w.path)).toContain(expected);
  });

  it("has a case for every code the package can report", () => {
    const covered = new Set<string>([...cases.map((c) => c.code), ...Object.keys(NOT_HERE)]);
    expect(Object.keys(FHIR_ISSUE_CODES).filter((code) => !covered.has(code))).toEqual([]);
  });

  it("accepts each valid message the cases start from", () => {
    for (const build of Object.values(builders)) {
      const result = parseFhirMessage(build().json);
      expect(result.ok ? [] : result.issues).toEqual([]);
    }
  });

  it("warns, without rejecting, about an unknown activity in historic Provenance", () => {
    const history = structuredClone(res(builders.cc().bundle, "Provenance"));
    history.id = "historic";
    history.target[0].reference = "MessageHeader/earlier";
    history.activity.coding[0].code = "teleport-message";
    const result = parseFhirMessage(
      buildAcknowledgement({
        ...sample.acknowledgement,
        original: { ...sample.acknowledgement.original, provenance: [history] },
      }).json,
    );
    expect(result.ok && result.warnings.map((w) => w.code)).toEqual(["CAREHUB_ERR_FHIR_ACTIVITY_UNKNOWN"]);
  });

  it("does not reject dangling references in historic Provenance", () => {
    const result = parseFhirMessage(
      buildHospitalNotification({
        ...sample.hospitalNotification,
        activity: "discharge-inpatient-home",
        encounter: { ...sample.hospitalNotification.encounter, status: "finished", end: sample.NOW },
        link: { type: "reply", to: { messageId: "b9b4818e-02de-4cc4-b418-d20cbc7b5404" } },
        history: [
          {
            resourceType: "Provenance",
            id: "historic-admission",
            target: [{ reference: "MessageHeader/b9b4818e-02de-4cc4-b418-d20cbc7b5404" }],
            occurredDateTime: "2026-03-01T09:00:00+01:00",
            recorded: "2026-03-01T09:00:00+01:00",
            activity: {
              coding: [
                {
                  system: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes",
                  code: "admit-inpatient",
                },
              ],
            },
            agent: [{ who: { reference: "Organization/not-in-this-bundle" } }],
          },
        ],
      }).json,
    );
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it("finds a date-time without time zone wherever it is in the Bundle", () => {
    const bundle = structuredClone(builders.hco().bundle) as Json;
    res(bundle, "Observation", 1).effectiveDateTime = "2026-03-02T09:45:00";
    res(bundle, "Patient").birthDate = "1947-09-25";
    const result = parseFhirMessage(JSON.stringify(bundle));
    expect(result.ok ? [] : result.issues.map((i) => [i.code, i.path])).toEqual([
      ["CAREHUB_ERR_FHIR_TIMEZONE_MISSING", `${path(bundle, "Observation", 1)}.effectiveDateTime`],
    ]);
  });

  it("refuses an acknowledgement whose response.identifier is not a FHIR id", () => {
    const bundle = structuredClone(builders.ack().bundle) as Json;
    bundle.entry[0].resource.response.identifier = "not an id";
    const result = parseFhirMessage(JSON.stringify(bundle));
    expect(result.ok ? [] : result.issues.map((i) => [i.code, i.path])).toEqual([
      ["CAREHUB_ERR_FHIR_ID_INVALID", "Bundle.entry[0].resource.response.identifier"],
    ]);
  });

  it("checks the CPR date part only, never modulus 11", () => {
    // 2509479989 (MedCom's test patient) fails modulus 11 and must pass; 3002… (30 February) must not.
    const ok = structuredClone(builders.cc().bundle) as Json;
    expect(parseFhirMessage(JSON.stringify(ok)).ok).toBe(true);
    res(ok, "Patient").identifier[0].value = "3002479989";
    const result = parseFhirMessage(JSON.stringify(ok));
    expect(!result.ok && result.issues.map((i) => i.code)).toEqual(["CAREHUB_ERR_FHIR_CPR_INVALID"]);
  });

  it("never quotes the CPR number in an issue", () => {
    const bad = structuredClone(builders.hn().bundle) as Json;
    res(bad, "Patient").identifier[0].value = "3209479989";
    const result = parseFhirMessage(JSON.stringify(bad));
    expect(JSON.stringify(result.ok ? [] : result.issues)).not.toContain("3209479989");
  });

  it("keeps what it could read in the partial result, to answer the sender", () => {
    const result = broken("cc", (b) => {
      res(b, "Communication").category[0].coding[0].code = "gossip";
      return "";
    })().result;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.partial).toMatchObject({
      kind: "care-communication",
      format: "fhir+json",
      messageId: sample.careCommunication.ids.messageHeaderId,
      envelopeId: sample.careCommunication.ids.bundleId,
      sender: { sor: sample.HOSPITAL.sor, gln: sample.HOSPITAL.gln },
      receivers: [{ sor: sample.MUNICIPALITY.sor, gln: sample.MUNICIPALITY.gln }],
      ackRequested: true,
    });
  });
});

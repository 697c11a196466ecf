import { ANONYMISED_TEXT } from "./anonymise-fhir-json.ts";
import type { SensitiveValues } from "./sensitive-values.ts";

/** The text of every leaf element `<name>text</name>` (no child elements) in `xml`. */
function leaves(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, "g"))].map((m) => m[1] ?? "");
}

/** The parts of `xml` inside `<name>…</name>` (not nested in itself). */
function blocks(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, "g"))].map((m) => m[1] ?? "");
}

/** OIOXML elements of a person (the patient, a relative) that hold personal data. */
const OIOXML_PERSON_BLOCKS = ["Patient", "Relative"];
/** OIOXML elements that hold free text, replaced whole wherever they occur. */
const OIOXML_FREE_TEXT = [
  "Text",
  "Text03",
  "Paragraph",
  "ResultComments",
  "Comments",
  "RefuseText",
  "AdditionalInformation",
  "Anamnesis",
  "Question",
  "Supplementary",
  "Cave",
  "ClinicalReason",
  "ActualMedicine",
  "RelevantClinicalInformation",
  "MicroscopicFindings",
  "CultureFindings",
];

/**
 * An OIOXML letter: CPR numbers (the patient's and a relative's), every person name, the patient's and
 * relatives' addresses, phones and e-mail are collected; free-text elements are replaced in place.
 */
export function anonymiseOioxml(xml: string, found: SensitiveValues): string {
  for (const value of leaves(xml, "CivilRegistrationNumber")) found.add(found.patientIds, value);
  for (const element of ["PersonSurnameName", "PersonGivenName", "PersonName"]) {
    for (const value of leaves(xml, element)) found.addName(value);
  }
  for (const block of OIOXML_PERSON_BLOCKS.flatMap((name) => blocks(xml, name))) {
    for (const element of ["StreetName", "DistrictName", "SuburbName"]) {
      for (const value of leaves(block, element)) found.add(found.addresses, value);
    }
    // A relative's CPR number, and a replacement CPR where the patient has none.
    for (const value of [...leaves(block, "PersonIdentifier"), ...leaves(block, "AlternativeIdentifier")]) {
      found.add(found.patientIds, value);
    }
    for (const value of leaves(block, "TelephoneSubscriberIdentifier")) found.add(found.phones, value);
    for (const value of leaves(block, "EmailIdentifier")) found.add(found.emails, value);
  }
  let out = xml;
  for (const element of OIOXML_FREE_TEXT) {
    // Free text is characters and line breaks (`<Break/>`); an element with other children is left to its leaves.
    out = out.replace(
      new RegExp(`<${element}>(?:[^<]|<Break\\s*/>)*</${element}>`, "g"),
      `<${element}>${ANONYMISED_TEXT}</${element}>`,
    );
  }
  return out;
}

/** `<name value="…"/>` values in `xml`. */
function values(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}\\s+value="([^"]*)"`, "g"))].map((m) => m[1] ?? "");
}

const FHIR_XML_FREE_TEXT = ["contentString", "conclusion", "comment"];
const FHIR_XML_PERSONS = ["Patient", "RelatedPerson", "Practitioner", "Person"];

/** FHIR XML: the same as FHIR JSON (anonymise-fhir-json.ts), on the XML form. */
export function anonymiseFhirXml(xml: string, found: SensitiveValues): string {
  for (const resource of FHIR_XML_PERSONS) {
    for (const block of blocks(xml, resource)) {
      const isPatient = resource === "Patient" || resource === "RelatedPerson";
      if (isPatient)
        for (const identifier of blocks(block, "identifier"))
          for (const v of values(identifier, "value")) found.add(found.patientIds, v);
      for (const name of blocks(block, "name")) {
        for (const part of ["family", "given", "text"]) for (const v of values(name, part)) found.addName(v);
      }
      for (const address of blocks(block, "address")) {
        for (const part of ["line", "city", "district", "text"])
          for (const v of values(address, part)) found.add(found.addresses, v);
      }
      for (const telecom of blocks(block, "telecom")) {
        const email = values(telecom, "system")[0] === "email";
        for (const v of values(telecom, "value")) found.add(email ? found.emails : found.phones, v);
      }
    }
  }
  let out = xml.replace(
    /<text>(\s*)<status value="([^"]*)"\s*\/>\s*<div[\s\S]*?<\/div>\s*<\/text>/g,
    (_m, space: string, status: string) =>
      `<text>${space}<status value="${status}"/><div xmlns="http://www.w3.org/1999/xhtml"><p>${ANONYMISED_TEXT}</p></div></text>`,
  );
  for (const element of FHIR_XML_FREE_TEXT) {
    out = out.replace(new RegExp(`<${element}\\s+value="[^"]*"`, "g"), `<${element} value="${ANONYMISED_TEXT}"`);
  }
  out = out.replace(
    /<note>([\s\S]*?)<\/note>/g,
    (_m, inner: string) =>
      `<note>${inner.replace(/<text\s+value="[^"]*"/g, `<text value="${ANONYMISED_TEXT}"`)}</note>`,
  );
  return out.replace(
    /(<contentAttachment>[\s\S]*?<data\s+value=")[^"]*"/g,
    `$1${Buffer.from(ANONYMISED_TEXT).toString("base64")}"`,
  );
}

// Builds the project's own part of the conformance corpus, test/fixtures/medcom/built/, with carehub's builders:
// one valid message per MedCom OIOXML letter type and per FHIR message kind (JSON and XML), and negative cases
// written from the rules, each with the code it must be refused with. Writes the files and their entries in
// test/fixtures/medcom/manifest.json (entries outside built/ are kept as they are).
//   node packages/formats/scripts/build-corpus.ts          write
//   node packages/formats/scripts/build-corpus.ts --check  exit 1 when the committed files differ
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serializeFhirXml } from "@carehub/medcom-fhir";
import { buildLetter, buildReceipt, encodeXmlText, LETTER_TYPES, type LetterType } from "@carehub/medcom-xml";
import { builders, type Json, res } from "../../medcom-fhir/test/broken-message.ts";
import type { CorpusExpectation } from "../src/validate-summary.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/medcom");
const SOURCE = "carehub's own builders (packages/formats/scripts/build-corpus.ts)";
const SENDER = "5790000127092";
const RECEIVER = "5790000123117";
const CPR = "2509479989";
const NOW = "2026-03-02T10:15:00+01:00";

const files = new Map<string, { bytes: Uint8Array | string; expect: CorpusExpectation }>();
const valid = (kind: string): CorpusExpectation => ({ verdict: "valid", kind, source: SOURCE });
const invalid = (code: string, rule: string): CorpusExpectation => ({
  verdict: "invalid",
  code,
  source: `${SOURCE}; ${rule}`,
});

function labBody(type: LetterType) {
  const lab = ["lab-result", "pathology-result", "microbiology-result"].includes(type.reader);
  return lab
    ? [["LaboratoryResults", [["GeneralResultInformation", [["ResultStatusCode", "svar_endeligt"]]]]] as never]
    : [];
}

function letter(type: LetterType, over: { receiver?: string; versionCode?: string; cpr?: string } = {}): string {
  return buildLetter({
    element: type.element,
    sender: { gln: SENDER },
    receiver: { gln: over.receiver ?? RECEIVER },
    ...(type.noPatient ? {} : { cpr: over.cpr ?? CPR }),
    ids: { envelopeId: `ENV-${type.element}`, letterId: `L-${type.element}` },
    now: NOW,
    ...(over.versionCode === undefined ? {} : { versionCode: over.versionCode }),
    body: labBody(type),
  });
}

// OIOXML: every letter type MedCom publishes (receipts through their own builder).
for (const type of LETTER_TYPES) {
  if (type.receipt !== undefined) continue;
  const code = type.statisticalCodes[0] ?? type.element;
  files.set(`built/oioxml/${code}_${type.element}.xml`, {
    bytes: encodeXmlText(letter(type)),
    expect: valid(type.kind),
  });
}
const original = { envelopeId: "ENV-1", letterId: "L-1", sender: { gln: SENDER }, receiver: { gln: RECEIVER } };
for (const receiptType of ["XCTL02", "XCTL03"] as const) {
  const xml = buildReceipt({
    type: receiptType,
    original,
    ...(receiptType === "XCTL02" ? { refuseCode: "syntaksfejl" as const } : {}),
    ids: { envelopeId: `ENV-${receiptType}`, letterId: `L-${receiptType}` },
    now: NOW,
  });
  files.set(`built/oioxml/${receiptType}_receipt.xml`, { bytes: encodeXmlText(xml), expect: valid("acknowledgement") });
}
const discharge = LETTER_TYPES.find((t) => t.element === "DischargeLetter") as LetterType;
const badCheckDigit = `${RECEIVER.slice(0, 12)}${(Number(RECEIVER[12]) + 1) % 10}`;
const oioxmlNegatives: Array<[string, string, string, string]> = [
  [
    "receiver-gln-check-digit",
    letter(discharge, { receiver: badCheckDigit }),
    "CAREHUB_ERR_OIOXML_GLN_CHECK_DIGIT",
    "GS1 mod-10 check digit of the EAN location number",
  ],
  [
    "receiver-gln-12-digits",
    letter(discharge, { receiver: RECEIVER.slice(0, 12) }),
    "CAREHUB_ERR_OIOXML_GLN_FORMAT",
    "EANIdentifier is 13 digits",
  ],
  [
    "version-of-another-letter",
    letter(discharge, { versionCode: "XD1431C" }),
    "CAREHUB_ERR_OIOXML_VERSION_UNSUPPORTED",
    "VersionCode belongs to the letter element",
  ],
  [
    "cpr-not-a-date",
    letter(discharge, { cpr: "3213479989" }),
    "CAREHUB_ERR_OIOXML_CPR_INVALID",
    "CPR starts with a valid DDMMYY date",
  ],
  [
    "unknown-letter-element",
    letter(discharge).replaceAll("DischargeLetter", "HolidayLetter"),
    "CAREHUB_ERR_OIOXML_UNSUPPORTED_LETTER",
    "the letter element is a MedCom letter type",
  ],
  [
    "sent-date-not-a-date",
    letter(discharge).replace("<Date>2026-03-02</Date>", "<Date>2026-02-30</Date>"),
    "CAREHUB_ERR_OIOXML_DATE_INVALID",
    "Date is a real YYYY-MM-DD date",
  ],
  [
    "status-code-unknown",
    letter(discharge).replace(
      "<TypeCode>XDIS01</TypeCode>",
      "<TypeCode>XDIS01</TypeCode><StatusCode>gammeltbrev</StatusCode>",
    ),
    "CAREHUB_ERR_OIOXML_STATUS_CODE_UNKNOWN",
    "StatusCode nytbrev | rettetbrev | annulleretbrev",
  ],
  [
    "wrong-namespace",
    letter(discharge).replace(/xmlns="[^"]*"/, 'xmlns="http://example.org/letters/"'),
    "CAREHUB_ERR_OIOXML_NAMESPACE",
    "Emessage in a MedCom OIOXML namespace",
  ],
];
for (const [name, xml, code, rule] of oioxmlNegatives)
  files.set(`built/oioxml-negative/${name}.xml`, { bytes: encodeXmlText(xml), expect: invalid(code, rule) });

// FHIR: every message kind, as JSON and as XML.
const KIND: Record<keyof typeof builders, string> = {
  cc: "care-communication",
  hco: "homecare-observation",
  hn: "hospital-notification",
  ref: "referral",
  task: "task-requisition",
  note: "notification",
  status: "status-update",
  ack: "acknowledgement",
  lab: "lab-result",
};
for (const [key, build] of Object.entries(builders) as Array<[keyof typeof builders, () => { bundle: Json }]>) {
  const { bundle } = build();
  files.set(`built/fhir/${key}.json`, { bytes: `${JSON.stringify(bundle, null, 2)}\n`, expect: valid(KIND[key]) });
  files.set(`built/fhir/${key}.xml`, { bytes: serializeFhirXml(bundle), expect: valid(KIND[key]) });
}
// Acknowledgements carrying issue-details codes of the earlier published ValueSet (1.0.0-a.1).
const EARLIER = [
  ["http://terminology.hl7.org/CodeSystem/operation-outcome", "MSG_RESOURCE_FAIL"],
  ["http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-issue-details", "message-delivery-error"],
];
for (const [system, code] of EARLIER) {
  const { bundle } = builders.ack();
  Object.assign(res(bundle, "OperationOutcome").issue[0].details.coding[0], { system, code });
  files.set(`built/fhir/ack-earlier-${code}.json`, {
    bytes: `${JSON.stringify(bundle, null, 2)}\n`,
    expect: valid("acknowledgement"),
  });
}
// FHIR negatives, each breaking one MedCom rule of a valid message; JSON and XML.
const fhirNegatives: Array<[string, keyof typeof builders, (b: Json) => void, string, string]> = [
  [
    "cc-no-category",
    "cc",
    (b) => {
      delete res(b, "Communication").category;
    },
    "CAREHUB_ERR_FHIR_CC_CATEGORY",
    "Communication.category 1..1",
  ],
  [
    "cc-priority-not-referral",
    "cc",
    (b) => {
      res(b, "Communication").priority = "asap";
    },
    "CAREHUB_ERR_FHIR_CC_PRIORITY_NOT_ALLOWED",
    "medcom-careCommunication-5",
  ],
  [
    "cc-author-without-role",
    "cc",
    (b) => {
      delete res(b, "PractitionerRole").code;
    },
    "CAREHUB_ERR_FHIR_CC_AUTHOR_ROLE",
    "medcom-careCommunication-7",
  ],
  [
    "cc-zip-attachment",
    "cc",
    (b) => {
      const communication = res(b, "Communication");
      const segment = structuredClone(communication.payload[0]);
      delete segment.contentString;
      segment.contentAttachment = { contentType: "application/zip", title: "x", data: "AAAA" };
      communication.payload.push(segment);
    },
    "CAREHUB_ERR_FHIR_CC_ATTACHMENT_TYPE",
    "medcom-core-attachmentMimeTypes",
  ],
  [
    "first-entry-not-header",
    "hn",
    (b) => {
      const [first, second] = [b.entry[0], b.entry[1]];
      b.entry[0] = second;
      b.entry[1] = first;
    },
    "CAREHUB_ERR_FHIR_FIRST_ENTRY_NOT_HEADER",
    "medcom-messaging-1",
  ],
  [
    "timestamp-without-zone",
    "hco",
    (b) => {
      b.timestamp = "2026-03-02T10:15:00";
    },
    "CAREHUB_ERR_FHIR_TIMEZONE_MISSING",
    "FHIR instant has a time zone",
  ],
  [
    "ack-issue-code-unknown",
    "ack",
    (b) => {
      res(b, "OperationOutcome").issue[0].details.coding[0].code = "MSG_SOMETHING";
    },
    "CAREHUB_ERR_FHIR_ACK_ISSUE_CODE",
    "ValueSet medcom-acknowledgement-issue-details (every published version)",
  ],
  [
    "bundle-type-document",
    "cc",
    (b) => {
      b.type = "document";
    },
    "CAREHUB_ERR_FHIR_BUNDLE_TYPE",
    "Bundle.type = message",
  ],
];
for (const [name, key, breakIt, code, rule] of fhirNegatives) {
  const bundle = structuredClone(builders[key]().bundle) as Json;
  breakIt(bundle);
  files.set(`built/fhir-negative/${name}.json`, {
    bytes: `${JSON.stringify(bundle, null, 2)}\n`,
    expect: invalid(code, rule),
  });
  files.set(`built/fhir-negative/${name}.xml`, { bytes: serializeFhirXml(bundle), expect: invalid(code, rule) });
}

// Write, or compare with what is committed.
const manifestPath = join(root, "manifest.json");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { files: Record<string, CorpusExpectation> };
const entries: Record<string, CorpusExpectation> = {};
for (const [name, expectation] of Object.entries(manifest.files))
  if (!name.startsWith("built/")) entries[name] = expectation;
for (const [name, { expect }] of [...files].sort(([a], [b]) => a.localeCompare(b))) entries[name] = expect;
const manifestText = `${JSON.stringify({ files: entries }, null, 2)}\n`;
const asBytes = (b: Uint8Array | string) => (typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b));

if (process.argv.includes("--check")) {
  const stale = [...files].filter(([name, { bytes }]) => {
    try {
      return !readFileSync(join(root, name)).equals(asBytes(bytes));
    } catch {
      return true;
    }
  });
  if (readFileSync(manifestPath, "utf8") !== manifestText)
    stale.push(["manifest.json", { bytes: "", expect: valid("") }]);
  if (stale.length > 0) {
    console.log(`stale: ${stale.map(([n]) => n).join(", ")} — run node packages/formats/scripts/build-corpus.ts`);
    process.exitCode = 1;
  } else console.log(`corpus up to date (${files.size} built files)`);
} else {
  rmSync(join(root, "built"), { recursive: true, force: true });
  for (const [name, { bytes }] of files) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), asBytes(bytes));
  }
  writeFileSync(manifestPath, manifestText);
  console.log(`wrote ${files.size} files to ${join(root, "built")}`);
}

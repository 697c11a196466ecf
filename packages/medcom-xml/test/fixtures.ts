import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { glnCheckDigit } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import fc from "fast-check";
import { copenhagenOffsetMinutes } from "../src/danish-time.ts";
import { buildLabReport, type LabReportInput } from "../src/index.ts";

export const EXAMPLES_DIR = medcomExamplesDir("oioxml");

/** The files the examples README lists as known-bad, with why. Every other file there is valid. */
export const KNOWN_BAD = {
  "XRPT05_6092035412.xml": "receiver EAN is a ??? placeholder",
  "XRPT01_1.xml": "both EAN location numbers fail the GS1 mod-10 check digit",
} as const;

export interface Example {
  name: string;
  bytes: Uint8Array;
}

export function loadExamples(): Example[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((name) => name.endsWith(".xml"))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(EXAMPLES_DIR, name)) }));
}

export function validExamples(): Example[] {
  return loadExamples().filter((e) => !(e.name in KNOWN_BAD));
}

/** Makes a GLN with a correct GS1 mod-10 check digit from its first 12 digits. */
export function withCheckDigit(first12: string): string {
  return `${first12}${glnCheckDigit(first12)}`;
}

export const glnArb = fc.stringMatching(/^579\d{9}$/).map(withCheckDigit);

/** A CPR whose DDMMYY part is a real date (the control digits are random: no modulus 11). */
export const cprArb = fc
  .record({
    day: fc.integer({ min: 1, max: 28 }),
    month: fc.integer({ min: 1, max: 12 }),
    yy: fc.integer({ min: 0, max: 99 }),
    rest: fc.stringMatching(/^\d{4}$/),
  })
  .map(
    ({ day, month, yy, rest }) =>
      `${String(day).padStart(2, "0")}${String(month).padStart(2, "0")}${String(yy).padStart(2, "0")}${rest}`,
  );

export const idArb = fc.stringMatching(/^[A-Za-z0-9]{1,14}$/);

const textChars = [
  "a",
  "Z",
  "0",
  " ",
  "æ",
  "ø",
  "å",
  "Æ",
  "Ø",
  "Å",
  "é",
  "µ",
  "€",
  "<",
  ">",
  "&",
  "'",
  '"',
  ";",
  "Ω",
  "😀",
  "中",
];
/** Free text as letters carry it: Danish letters, XML specials, characters outside windows-1252; no edge spaces. */
export const textArb = fc
  .string({ unit: fc.constantFrom(...textChars), minLength: 1, maxLength: 20 })
  .filter((s) => s.trim() === s && s.length > 0);

/** A moment a letter could be sent at, to the minute (OIOXML times are hh:mm). */
/**
 * Whether a moment falls in the hour Danish clocks repeat when summer time ends (02:00–02:59 local, twice):
 * OIOXML's local date and time without an offset cannot tell those two hours apart, and the parser reads such a
 * time as the second (standard time, `localDateTimeToIso`), so the first hour cannot round-trip.
 */
export function inRepeatedDanishHour(millis: number): boolean {
  const offset = copenhagenOffsetMinutes(millis);
  return (
    (offset === 120 && copenhagenOffsetMinutes(millis + 3_600_000) === 60) ||
    (offset === 60 && copenhagenOffsetMinutes(millis - 3_600_000) === 120)
  );
}

/** Whole minutes from 2000 to 2037, none in the repeated autumn hour (see `inRepeatedDanishHour`). */
export const momentArb = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2037-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => new Date(Math.floor(d.getTime() / 60_000) * 60_000))
  .filter((d) => !inRepeatedDanishHour(d.getTime()));

export const SENDER_GLN = withCheckDigit("579000012028");
export const RECEIVER_GLN = withCheckDigit("579000012501");
export const BASE_CPR = "2509479989"; // MedCom's test patient: a valid date, fails modulus 11

export function baseLabReportInput(overrides: Partial<LabReportInput> = {}): LabReportInput {
  return {
    ids: { envelopeId: "ENV0001", letterId: "LET0001" },
    now: "2024-03-05T10:15:00+01:00",
    sender: { gln: SENDER_GLN, name: "Klinisk Biokemisk Afdeling" },
    receiver: { gln: RECEIVER_GLN, ydernummer: "012345", name: "Lægehuset Ærø" },
    patient: { cpr: BASE_CPR, surname: "Ærbødig", givenName: "Søren", consentGiven: true },
    sample: { laboratorySampleId: "S0001", samplingTime: "2024-03-05T08:00:00+01:00" },
    reportStatus: "komplet_svar",
    results: [
      { analysisCode: "NPU01807", status: "svar_endeligt", value: "128", unit: "µmol/l" },
      { analysisCode: "NPU02319", status: "svar_endeligt", value: "8.1", unit: "mmol/l" },
    ],
    ...overrides,
  };
}

/** A valid XRPT01 letter as text, the base every negative test mutates. */
export function baseLetter(overrides: Partial<LabReportInput> = {}): string {
  return buildLabReport(baseLabReportInput(overrides));
}

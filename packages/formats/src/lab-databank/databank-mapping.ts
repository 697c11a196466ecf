import { toDanishLocal } from "@carehub/medcom-xml";
import { child, children, coding, identifierValue, type LetterSource, type ResultSource, text } from "./lab-source.ts";

/*
 * The field-by-field mapping of a practice's FHIR lab result (carehub lab-result profile) to a MedCom XRPT01
 * LaboratoryReport (XR0131K, 2014/10/08) for the lab databanks: data, read by the generic writer in
 * translate-lab-result.ts. A change in what the databank wants is a change of a row or a value table here.
 * docs/databank-mapping.md lists every row (a test keeps the two in step).
 */

/** One element of the letter: where its value comes from, how it is transformed, and whether it must be there. */
export interface MappingRow<S> {
  /** The XRPT01 element, as a path below `LaboratoryReport` (or `Envelope`). */
  target: string;
  /** Where the value comes from (FHIR path, or what the hub supplies), as docs/databank-mapping.md says it. */
  source: string;
  /** The transform, in words. */
  rule: string;
  /** Without a value, no letter: the translation is refused naming this target. */
  required: boolean;
  /**
   * The value; `undefined` when the source has none; `null` when the source has one the letter cannot carry
   * (e.g. a `<=` comparator, a value longer than 12 characters): the translation is refused, never approximated.
   */
  read(source: S): string | undefined | null;
}

// ---- value tables -------------------------------------------------------------------------------------------

/** DiagnosticReport.status → GeneralResultInformation/ReportStatusCode. */
export const REPORT_STATUS_CODES: Readonly<Record<string, string>> = {
  final: "komplet_svar",
  corrected: "komplet_svar",
  amended: "komplet_svar",
  partial: "del_svar",
  preliminary: "del_svar",
};

/** Observation.status → Result/ResultStatusCode. A changed result is `svar_rettet`, never a deletion. */
export const RESULT_STATUS_CODES: Readonly<Record<string, string>> = {
  final: "svar_endeligt",
  preliminary: "svar_midlertidigt",
  corrected: "svar_rettet",
  amended: "svar_rettet",
};

/** Provenance activity → Letter/StatusCode. `retract-message` has no row: the databank takes no deletions. */
export const LETTER_STATUS_CODES: Readonly<Record<string, string>> = {
  "new-message": "nytbrev",
  "modified-message": "rettetbrev",
};

/** valueQuantity.comparator → Result/Operator (XRPT01 knows only strict comparisons). */
export const OPERATOR_CODES: Readonly<Record<string, string>> = { "<": "mindre_end", ">": "stoerre_end" };

/** Observation.interpretation (v3-ObservationInterpretation) → Result/ResultValidation. */
export const VALIDATION_CODES: Readonly<Record<string, string>> = {
  H: "for_hoej",
  HH: "for_hoej",
  L: "for_lav",
  LL: "for_lav",
  A: "unormal",
  AA: "unormal",
};

const NPU = "urn:oid:1.2.208.176.2.1";
const CPR = "urn:oid:1.2.208.176.1.2";
/** XRPT01 Value: at most 12 characters. */
export const MAX_VALUE_LENGTH = 12;

// ---- transforms -------------------------------------------------------------------------------------------

function danishDate(moment: string | Date | undefined): string | undefined {
  return moment === undefined ? undefined : toDanishLocal(moment).date;
}
function danishTime(moment: string | Date | undefined): string | undefined {
  return moment === undefined ? undefined : toDanishLocal(moment).time;
}
/** Decimal comma, as MedCom's letters write numbers. */
function decimalComma(value: string | undefined): string | undefined {
  return value?.replace(".", ",");
}
function lookup(table: Readonly<Record<string, string>>, key: string | undefined): string | undefined {
  return key === undefined ? undefined : table[key];
}
function samplingTime(s: LetterSource): string | undefined {
  return text(child(s.specimen, "collection"), "collectedDateTime");
}
function quantity(s: ResultSource) {
  return child(s.observation, "valueQuantity");
}
function referenceRange(s: ResultSource) {
  return children(s.observation, "referenceRange")[0];
}

// ---- the rows ---------------------------------------------------------------------------------------------

export const LETTER_ROWS: readonly MappingRow<LetterSource>[] = [
  {
    target: "Envelope/Identifier",
    source: "— (hub)",
    rule: "new id, derived from the source hub id and the databank",
    required: true,
    read: (s) => s.context.ids.envelopeId,
  },
  {
    target: "Envelope/Sent",
    source: "— (hub)",
    rule: "the translation time, Danish local date and time",
    required: true,
    read: (s) => s.context.now.toISOString(),
  },
  {
    target: "Letter/Identifier",
    source: "— (hub)",
    rule: "new letter id (14 digits); the source message is linked in the timeline, not in the letter",
    required: true,
    read: (s) => s.context.ids.letterId,
  },
  {
    target: "Letter/Authorisation",
    source: "DiagnosticReport.issued",
    rule: "Danish local date and time",
    required: true,
    read: (s) => text(s.report, "issued"),
  },
  {
    target: "Letter/StatusCode",
    source: "Provenance.activity",
    rule: "new-message → nytbrev; modified-message → rettetbrev (retract-message is never translated)",
    required: true,
    read: (s) => lookup(LETTER_STATUS_CODES, s.activity ?? "new-message"),
  },
  {
    target: "Sender/EANIdentifier",
    source: "the authenticated sender (registry)",
    rule: "the producing practice's GLN as the hub knows it, never the payload's claim nor the patient's current GP",
    required: true,
    read: (s) => s.context.producer.gln,
  },
  {
    target: "Sender/Identifier",
    source: "the authenticated sender (registry)",
    rule: "the practice's ydernummer, IdentifierCode ydernummer",
    required: false,
    read: (s) => s.context.producer.ydernummer,
  },
  {
    target: "Sender/OrganisationName",
    source: "the authenticated sender (registry)",
    rule: "the practice's registered name",
    required: false,
    read: (s) => s.context.producer.name,
  },
  {
    target: "Receiver/EANIdentifier",
    source: "the databank endpoint (registry)",
    rule: "the databank's GLN; never from the message",
    required: true,
    read: (s) => s.context.databank.gln,
  },
  {
    target: "Receiver/OrganisationName",
    source: "the databank endpoint (registry)",
    rule: "the databank's registered name",
    required: false,
    read: (s) => s.context.databank.name,
  },
  {
    target: "Patient/CivilRegistrationNumber",
    source: "Patient.identifier (system urn:oid:1.2.208.176.1.2)",
    rule: "the CPR number as is (a replacement CPR cannot go to the databank)",
    required: true,
    read: (s) => identifierValue(s.patient, CPR),
  },
  {
    target: "Patient/PersonSurnameName",
    source: "Patient.name.family",
    rule: "as is",
    required: false,
    read: (s) => text(children(s.patient, "name")[0], "family"),
  },
  {
    target: "Patient/PersonGivenName",
    source: "Patient.name.given",
    rule: "the given names joined by a space",
    required: false,
    read: (s) => {
      const given = children(s.patient, "name")[0]?.given;
      return Array.isArray(given) && given.length > 0 ? given.join(" ") : undefined;
    },
  },
  {
    target: "Patient/Consent/Given",
    source: "DiagnosticReport.meta.security",
    rule: "always true: a result with consent withheld (R) is never translated",
    required: true,
    read: () => "true",
  },
  {
    target: "RequisitionInformation/Sample/LaboratoryInternalSampleIdentifier",
    source: "Specimen.identifier, else DiagnosticReport.identifier",
    rule: "as is: the key a correction is matched on, the same in every version",
    required: true,
    read: (s) => identifierValue(s.specimen) ?? identifierValue(s.report),
  },
  {
    target: "RequisitionInformation/Sample/SamplingDateTime/Date",
    source: "Specimen.collection.collectedDateTime",
    rule: "Danish local date",
    required: false,
    read: (s) => danishDate(samplingTime(s)),
  },
  {
    target: "RequisitionInformation/Sample/SamplingDateTime/Time",
    source: "Specimen.collection.collectedDateTime",
    rule: "Danish local time",
    required: false,
    read: (s) => danishTime(samplingTime(s)),
  },
  {
    target: "LaboratoryResults/GeneralResultInformation/ResultsDateTime",
    source: "DiagnosticReport.issued",
    rule: "Danish local date and time",
    required: true,
    read: (s) => text(s.report, "issued"),
  },
  {
    target: "LaboratoryResults/GeneralResultInformation/ReportStatusCode",
    source: "DiagnosticReport.status",
    rule: "final / corrected / amended → komplet_svar; partial / preliminary → del_svar",
    required: true,
    read: (s) => lookup(REPORT_STATUS_CODES, text(s.report, "status")),
  },
];

export const RESULT_ROWS: readonly MappingRow<ResultSource>[] = [
  {
    target: "Result/ResultStatusCode",
    source: "Observation.status",
    rule: "final → svar_endeligt; preliminary → svar_midlertidigt; corrected / amended → svar_rettet",
    required: true,
    read: (s) => lookup(RESULT_STATUS_CODES, text(s.observation, "status")),
  },
  {
    target: "Result/Analysis/AnalysisCode",
    source: "Observation.code.coding (system urn:oid:1.2.208.176.2.1, NPU)",
    rule: "the NPU code; AnalysisCodeType iupac, AnalysisCodeResponsible SST",
    required: true,
    read: (s) => text(coding(child(s.observation, "code"), NPU), "code"),
  },
  {
    target: "Result/Analysis/AnalysisShortName",
    source: "Observation.code.coding.display (NPU)",
    rule: "as is",
    required: false,
    read: (s) => text(coding(child(s.observation, "code"), NPU), "display"),
  },
  {
    target: "Result/Analysis/AnalysisCompleteName",
    source: "Observation.code.text",
    rule: "as is",
    required: false,
    read: (s) => text(child(s.observation, "code"), "text"),
  },
  {
    target: "Result/ProducerOfLabResult/Identifier",
    source: "Observation.performer (the sending practice)",
    rule: "the producing practice's ydernummer (IdentifierCode ydernummer), else its GLN (IdentifierCode lokationsnummer)",
    required: true,
    read: (s) => s.context.producer.ydernummer ?? s.context.producer.gln,
  },
  {
    target: "Result/ReferenceInterval/LowerLimit",
    source: "Observation.referenceRange.low.value",
    rule: "decimal comma; TypeOfInterval fysiologisk",
    required: false,
    read: (s) => decimalComma(text(child(referenceRange(s), "low"), "value")),
  },
  {
    target: "Result/ReferenceInterval/UpperLimit",
    source: "Observation.referenceRange.high.value",
    rule: "decimal comma; TypeOfInterval fysiologisk",
    required: false,
    read: (s) => decimalComma(text(child(referenceRange(s), "high"), "value")),
  },
  {
    target: "Result/ResultType",
    source: "Observation.valueQuantity / valueString",
    rule: "valueQuantity → numerisk; valueString → alfanumerisk",
    required: true,
    read: (s) => {
      if (quantity(s) !== undefined) return "numerisk";
      return text(s.observation, "valueString") === undefined ? undefined : "alfanumerisk";
    },
  },
  {
    target: "Result/Operator",
    source: "Observation.valueQuantity.comparator",
    rule: "< → mindre_end; > → stoerre_end (<= and >= have no XRPT01 code: refused)",
    required: false,
    read: (s) => {
      const comparator = text(quantity(s), "comparator");
      return comparator === undefined ? undefined : (lookup(OPERATOR_CODES, comparator) ?? null);
    },
  },
  {
    target: "Result/Value",
    source: "Observation.valueQuantity.value / valueString",
    rule: `decimal comma; at most ${MAX_VALUE_LENGTH} characters (a longer value is refused, never cut)`,
    required: true,
    read: (s) => {
      const value = decimalComma(text(quantity(s), "value")) ?? text(s.observation, "valueString");
      return value !== undefined && value.length > MAX_VALUE_LENGTH ? null : value;
    },
  },
  {
    target: "Result/Unit",
    source: "Observation.valueQuantity.unit (else .code, UCUM)",
    rule: "as is",
    required: false,
    read: (s) => text(quantity(s), "unit") ?? text(quantity(s), "code"),
  },
  {
    target: "Result/ResultValidation",
    source: "Observation.interpretation",
    rule: "H / HH → for_hoej; L / LL → for_lav; A / AA → unormal; others (N) left out",
    required: false,
    read: (s) => lookup(VALIDATION_CODES, text(coding(children(s.observation, "interpretation")[0]), "code")),
  },
  {
    target: "Result/ResultComments",
    source: "Observation.note.text",
    rule: 'the notes\' texts, joined by " / "',
    required: false,
    read: (s) => {
      const notes = children(s.observation, "note").flatMap((n) => text(n, "text") ?? []);
      return notes.length === 0 ? undefined : notes.join(" / ");
    },
  },
];

/** The rows as the Markdown tables of docs/databank-mapping.md (a test checks the document holds them). */
export function renderDatabankMapping(): string {
  const table = (rows: readonly MappingRow<never>[]) =>
    [
      "| XRPT01 element | source | rule | required |",
      "| --- | --- | --- | --- |",
      ...rows.map(
        (r) => `| \`${r.target}\` | ${r.source} | ${r.rule.replaceAll("|", "\\|")} | ${r.required ? "yes" : "no"} |`,
      ),
    ].join("\n");
  return [
    "### The letter (`LETTER_ROWS`)",
    "",
    table(LETTER_ROWS as readonly MappingRow<never>[]),
    "",
    "### Each result the practice produced itself (`RESULT_ROWS`)",
    "",
    table(RESULT_ROWS as readonly MappingRow<never>[]),
    "",
  ].join("\n");
}

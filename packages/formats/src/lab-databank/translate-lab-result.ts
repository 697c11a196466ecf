import { fhirXmlToJson } from "@carehub/medcom-fhir";
import {
  buildLabReport,
  encodeXmlText,
  type LabReportInput,
  type LabReportResultInput,
  OioxmlBuildError,
  parseOioxmlMessage,
  type ResultStatusCode,
  toDanishLocal,
} from "@carehub/medcom-xml";
import { LETTER_ROWS, type MappingRow, RESULT_ROWS } from "./databank-mapping.ts";
import {
  child,
  children,
  isJson,
  type Json,
  type LetterSource,
  type ResultSource,
  type TranslationContext,
  text,
} from "./lab-source.ts";
import { TRANSLATE_ERROR_CODES, type TranslateErrorCode } from "./translate-codes.ts";

export type { TranslationContext } from "./lab-source.ts";

/** A translation refused: its code and a message naming letter elements and counts only, never values. */
export interface TranslationRefusal {
  ok: false;
  code: TranslateErrorCode;
  message: string;
}

export interface TranslatedLetter {
  ok: true;
  /** The XRPT01 letter, windows-1252 encoded, already accepted by the hub's own OIOXML validator. */
  bytes: Uint8Array;
  letterId: string;
  /** rettetbrev: the letter corrects an earlier one for the same sample. */
  corrected: boolean;
  /** Results translated, and results left out because someone else produced them. */
  results: number;
  leftOut: number;
}

type Fields = Map<string, string>;

function refuse(code: TranslateErrorCode, message: string): TranslationRefusal {
  return { ok: false, code, message };
}

/**
 * Translates a practice's FHIR lab result (carehub lab-result profile, JSON or XML, as intake accepted it) into an
 * XRPT01 letter for a lab databank, by the rows of databank-mapping.ts. Only the results the practice produced
 * itself go in; consent withheld and retractions are refused. Pure: ids, clock and parties come in `context`.
 */
export function translateLabResult(
  bytes: Uint8Array,
  contentType: string,
  context: TranslationContext,
): TranslatedLetter | TranslationRefusal {
  const root = readBundle(bytes, contentType);
  if (root === undefined) return refuse(TRANSLATE_ERROR_CODES.NOT_A_LAB_RESULT, "the message is not a FHIR Bundle");
  const bundle = new Resolver(root);
  const header = bundle.entries[0];
  const report = bundle.resolve(children(header, "focus")[0], "DiagnosticReport");
  if (header?.resourceType !== "MessageHeader" || report === undefined)
    return refuse(TRANSLATE_ERROR_CODES.NOT_A_LAB_RESULT, "the message has no DiagnosticReport in focus");
  const restricted = children(child(report, "meta"), "security").some((s) => text(s, "code") === "R");
  if (restricted) return refuse(TRANSLATE_ERROR_CODES.CONSENT_WITHHELD, "the patient withheld consent to sharing");
  const activity = provenanceActivity(bundle, header);
  if (activity === "retract-message")
    return refuse(TRANSLATE_ERROR_CODES.RETRACTION, "a retraction is never passed to a databank (no deletions)");

  const sender = bundle.resolve(child(header, "sender"), "Organization");
  const reportPerformers = children(report, "performer");
  const observations = children(report, "result")
    .map((ref) => bundle.resolve(ref, "Observation"))
    .filter((o): o is Json => o !== undefined);
  const own = observations.filter((o) => {
    const performers = children(o, "performer");
    return producedBy(bundle, performers.length > 0 ? performers : reportPerformers, sender);
  });
  if (own.length === 0)
    return refuse(TRANSLATE_ERROR_CODES.NO_OWN_RESULTS, "none of the results was produced by the sender");

  const letterSource: LetterSource = {
    context,
    report,
    patient: bundle.resolve(child(report, "subject"), "Patient"),
    specimen: bundle.resolve(children(report, "specimen")[0], "Specimen"),
    activity,
  };
  const letter = applyRows(LETTER_ROWS, letterSource);
  if (!(letter instanceof Map)) return letter;
  const results: Fields[] = [];
  for (const observation of own) {
    const fields = applyRows(RESULT_ROWS, { context, observation } satisfies ResultSource);
    if (!(fields instanceof Map)) return fields;
    results.push(fields);
  }
  return writeLetter(letter, results, context, observations.length - own.length);
}

/** Runs every row; the first missing required or unmappable value refuses the translation, naming the element. */
function applyRows<S>(rows: readonly MappingRow<S>[], source: S): Fields | TranslationRefusal {
  const fields: Fields = new Map();
  for (const row of rows) {
    const value = row.read(source);
    if (value === null)
      return refuse(TRANSLATE_ERROR_CODES.FIELD_UNMAPPABLE, `${row.target}: the source value has no XRPT01 form`);
    if (value === undefined || value === "") {
      if (row.required) return refuse(TRANSLATE_ERROR_CODES.FIELD_MISSING, `${row.target}: no value (${row.source})`);
      continue;
    }
    fields.set(row.target, value);
  }
  return fields;
}

/** The generic writer: the fields, by target element, into the XRPT01 builder; then the hub's own validator. */
function writeLetter(
  letter: Fields,
  results: Fields[],
  context: TranslationContext,
  leftOut: number,
): TranslatedLetter | TranslationRefusal {
  const f = (name: string) => letter.get(name);
  const samplingDate = f("RequisitionInformation/Sample/SamplingDateTime/Date");
  const samplingTime = f("RequisitionInformation/Sample/SamplingDateTime/Time");
  const statusCode = f("Letter/StatusCode") === "rettetbrev" ? "rettetbrev" : "nytbrev";
  const input: LabReportInput = {
    versionCode: "XR0131K",
    ids: { envelopeId: f("Envelope/Identifier") ?? "", letterId: f("Letter/Identifier") ?? "" },
    now: f("Envelope/Sent") ?? context.now,
    issued: f("Letter/Authorisation") ?? context.now,
    // minuspositivkvitt: the hub cannot yet match a databank's XCTL03 to the letter (it would be relayed to the
    // practice, which never saw the letter); the delivery's HTTP answer closes it. docs/databank-mapping.md.
    ackRequested: false,
    statusCode,
    sender: party(f("Sender/EANIdentifier"), f("Sender/Identifier"), f("Sender/OrganisationName")),
    receiver: party(f("Receiver/EANIdentifier"), undefined, f("Receiver/OrganisationName")),
    patient: {
      cpr: f("Patient/CivilRegistrationNumber") ?? "",
      ...optional("surname", f("Patient/PersonSurnameName")),
      ...optional("givenName", f("Patient/PersonGivenName")),
      consentGiven: f("Patient/Consent/Given") === "true",
    },
    sample: {
      laboratorySampleId: f("RequisitionInformation/Sample/LaboratoryInternalSampleIdentifier") ?? "",
      ...(samplingDate === undefined || samplingTime === undefined
        ? {}
        : { samplingTime: danishLocalInstant(samplingDate, samplingTime) }),
    },
    reportStatus: f("LaboratoryResults/GeneralResultInformation/ReportStatusCode") as LabReportInput["reportStatus"],
    results: results.map((r) => resultInput(r, context)),
  };
  let xml: string;
  try {
    xml = buildLabReport(input);
  } catch (error) {
    if (error instanceof OioxmlBuildError)
      return refuse(TRANSLATE_ERROR_CODES.FIELD_MISSING, "the letter could not be built from the mapped fields");
    throw error;
  }
  const bytes = encodeXmlText(xml);
  const check = parseOioxmlMessage(bytes);
  if (!check.ok) {
    const codes = [...new Set(check.issues.map((issue) => issue.code))].join(", ");
    return refuse(TRANSLATE_ERROR_CODES.LETTER_INVALID, `the letter fails the hub's OIOXML validator: ${codes}`);
  }
  return {
    ok: true,
    bytes,
    letterId: input.ids.letterId,
    corrected: statusCode === "rettetbrev",
    results: results.length,
    leftOut,
  };
}

function resultInput(r: Fields, context: TranslationContext): LabReportResultInput {
  const get = (name: string) => r.get(`Result/${name}`);
  const lower = get("ReferenceInterval/LowerLimit");
  const upper = get("ReferenceInterval/UpperLimit");
  const comments = get("ResultComments");
  const result: LabReportResultInput = {
    analysisCode: get("Analysis/AnalysisCode") ?? "",
    analysisCodeType: "iupac",
    analysisCodeResponsible: "SST",
    status: get("ResultStatusCode") as ResultStatusCode,
    producer: {
      identifier: get("ProducerOfLabResult/Identifier") ?? "",
      identifierCode: context.producer.ydernummer === undefined ? "lokationsnummer" : "ydernummer",
    },
    resultType: get("ResultType") as LabReportResultInput["resultType"],
  };
  const optionalFields: Partial<LabReportResultInput> = {
    shortName: get("Analysis/AnalysisShortName"),
    completeName: get("Analysis/AnalysisCompleteName"),
    operator: get("Operator") as LabReportResultInput["operator"],
    value: get("Value"),
    unit: get("Unit"),
    validation: get("ResultValidation") as LabReportResultInput["validation"],
  };
  for (const [key, value] of Object.entries(optionalFields))
    if (value !== undefined) Object.assign(result, { [key]: value });
  if (lower !== undefined || upper !== undefined)
    result.referenceInterval = {
      typeOfInterval: "fysiologisk",
      ...optional("lowerLimit", lower),
      ...optional("upperLimit", upper),
    };
  if (comments !== undefined) result.comments = [comments];
  return result;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function party(gln: string | undefined, ydernummer: string | undefined, name: string | undefined) {
  return { ...optional("gln", gln), ...optional("ydernummer", ydernummer), ...optional("name", name) };
}

/** A Danish local date and time back to an instant the builder writes as the same local date and time. */
function danishLocalInstant(date: string, time: string): string {
  // The builder converts to Copenhagen time; giving it the local time with the zone offset of that moment
  // round-trips. Searching the two possible offsets keeps this free of a time-zone library.
  for (const offset of ["+01:00", "+02:00"]) {
    const candidate = `${date}T${time}:00${offset}`;
    if (toDanishLocal(candidate).time === time) return candidate;
  }
  return `${date}T${time}:00+01:00`;
}

function readBundle(bytes: Uint8Array, contentType: string): Json | undefined {
  const body = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (contentType.includes("xml")) {
    const converted = fhirXmlToJson(body);
    return converted.ok && isJson(converted.value) ? converted.value : undefined;
  }
  try {
    const parsed: unknown = JSON.parse(body);
    return isJson(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function provenanceActivity(bundle: Resolver, header: Json): string | undefined {
  const id = text(header, "id");
  const own = bundle.entries.find(
    (r) =>
      r.resourceType === "Provenance" &&
      children(r, "target").some((t) => text(t, "reference")?.endsWith(`MessageHeader/${id}`) === true),
  );
  const codingOf = children(child(own, "activity"), "coding")[0];
  return text(codingOf, "code");
}

/** Whether every performer is the sending Organization (same resource or same GLN), or a PractitionerRole of it. */
function producedBy(bundle: Resolver, performers: Json[], sender: Json | undefined): boolean {
  if (sender === undefined || performers.length === 0) return false;
  const senderGln = glnOf(sender);
  const isSender = (org: Json | undefined) =>
    org !== undefined && (org === sender || (senderGln !== undefined && glnOf(org) === senderGln));
  return performers.every((ref) => {
    const target = bundle.resolve(ref);
    if (target?.resourceType === "Organization") return isSender(target);
    if (target?.resourceType === "PractitionerRole")
      return isSender(bundle.resolve(child(target, "organization"), "Organization"));
    return false;
  });
}

function glnOf(organization: Json): string | undefined {
  const gln = children(organization, "identifier").find((i) =>
    /^https?:\/\/www\.gs1\.org\/gln$/.test(text(i, "system") ?? ""),
  );
  return text(gln, "value");
}

/** The Bundle's resources, found by fullUrl or by `Type/id` (the bundle passed intake: ids are valid). */
class Resolver {
  readonly entries: Json[];
  private readonly byKey = new Map<string, Json>();
  constructor(root: Json) {
    this.entries = children(root, "entry")
      .map((e) => child(e, "resource"))
      .filter((r): r is Json => r !== undefined);
    for (const entry of children(root, "entry")) {
      const resource = child(entry, "resource");
      if (resource === undefined) continue;
      const fullUrl = text(entry, "fullUrl");
      if (fullUrl !== undefined && !this.byKey.has(fullUrl)) this.byKey.set(fullUrl, resource);
      const key = `${text(resource, "resourceType")}/${text(resource, "id")}`;
      if (!this.byKey.has(key)) this.byKey.set(key, resource);
    }
  }
  resolve(ref: unknown, resourceType?: string): Json | undefined {
    const reference = text(ref, "reference");
    if (reference === undefined) return undefined;
    const found =
      this.byKey.get(reference) ?? this.byKey.get(/([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(reference)?.[1] ?? "");
    return found === undefined || (resourceType !== undefined && found.resourceType !== resourceType)
      ? undefined
      : found;
  }
}

import type { ContentOf, ValidationIssue } from "@carehub/schemas";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { oioxmlIssue } from "./issue.ts";
import { type LetterType, REPORT_STATUS_CODES } from "./letter-types.ts";
import type { LetterFields } from "./read-header.ts";
import { dateTimeAt, requiredText } from "./read-header.ts";
import { childOf, childrenOf, textAt, type XmlElement } from "./xml-tree.ts";

type LabResult = ContentOf<"lab-result">;

function indexed(path: string, name: string, index: number, count: number): string {
  return `${path}/${name}${count > 1 ? `[${index + 1}]` : ""}`;
}

/**
 * XRPT01 (Result per analysis), XRPT05 (Investigation per examination) and the pathology-style reports
 * (XRPT02/03/04/06/07: status, sample and consent only) → lab-result.
 */
export function readLabResult(
  letter: XmlElement,
  letterPath: string,
  type: LetterType,
  header: LetterFields,
  consentGiven: boolean | null,
  issues: ValidationIssue[],
): LabResult {
  const resultsPath = `${letterPath}/LaboratoryResults`;
  const laboratoryResults = childOf(letter, "LaboratoryResults");
  if (laboratoryResults === undefined) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.REQUIRED_MISSING, resultsPath, "LaboratoryResults is required"));
  }
  const general = childOf(laboratoryResults, "GeneralResultInformation");
  const reportStatus = textAt(general, "ReportStatusCode");
  if (reportStatus !== undefined && !(REPORT_STATUS_CODES as readonly string[]).includes(reportStatus)) {
    issues.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.VALUE_NOT_ALLOWED,
        `${resultsPath}/GeneralResultInformation/ReportStatusCode`,
        "ReportStatusCode must be del_svar, komplet_svar or modtaget",
      ),
    );
  }
  const overallStatus = textAt(general, "ResultStatusCode");
  const results: LabResult["results"] =
    type.reader === "microbiology-result"
      ? readInvestigations(laboratoryResults, resultsPath, overallStatus, issues)
      : type.reader === "pathology-result"
        ? [] // their findings are coded text, not analysis/value pairs: the report's status is what rules need
        : readResults(laboratoryResults, resultsPath, issues);
  const sample = childOf(childOf(letter, "RequisitionInformation"), "Sample");
  const sampleId = textAt(sample, "LaboratoryInternalSampleIdentifier") ?? textAt(sample, "RequesterSampleIdentifier");
  const corrected =
    header.statusCode === "rettetbrev" ||
    overallStatus === "svar_rettet" ||
    results.some((result) => result.status === "svar_rettet");
  return {
    kind: "lab-result",
    letterType: header.statisticalCode ?? type.statisticalCodes[0] ?? type.element,
    ...(reportStatus === undefined ? {} : { reportStatus }),
    consentGiven,
    corrected,
    ...(sampleId === undefined ? {} : { sampleId }),
    results,
  };
}

function readResults(
  laboratoryResults: XmlElement | undefined,
  path: string,
  issues: ValidationIssue[],
): LabResult["results"] {
  const list = childrenOf(laboratoryResults, "Result");
  return list.map((result, index) => {
    const resultPath = indexed(path, "Result", index, list.length);
    const analysisCode =
      requiredText(result, resultPath, ["Analysis", "AnalysisCode"], issues, "the analysis code") ?? "";
    const status = requiredText(result, resultPath, ["ResultStatusCode"], issues, "the ResultStatusCode");
    const value = textAt(result, "Value");
    const unit = textAt(result, "Unit");
    return {
      analysisCode,
      ...(status === undefined ? {} : { status }),
      ...(value === undefined ? {} : { value }),
      ...(unit === undefined ? {} : { unit }),
    };
  });
}

function readInvestigations(
  laboratoryResults: XmlElement | undefined,
  path: string,
  overallStatus: string | undefined,
  issues: ValidationIssue[],
): LabResult["results"] {
  const list = childrenOf(laboratoryResults, "Investigation");
  return list.map((investigation, index) => {
    const examination = childOf(investigation, "Examination");
    const code = textAt(examination, "MICAnalysisCode") ?? textAt(examination, "AnalysisCode");
    if (code === undefined) {
      issues.push(
        oioxmlIssue(
          OIOXML_ERROR_CODES.REQUIRED_MISSING,
          `${indexed(path, "Investigation", index, list.length)}/Examination/MICAnalysisCode`,
          "the examination's analysis code is required",
        ),
      );
    }
    return { analysisCode: code ?? "", ...(overallStatus === undefined ? {} : { status: overallStatus }) };
  });
}

/** XREF01 / REF06 / REF07 → referral; its business id is the letter id. */
export function readReferral(letter: XmlElement, type: LetterType, header: LetterFields): ContentOf<"referral"> {
  const priority = textAt(letter, "AdditionalInformation", "Priority");
  const referral = childOf(letter, "Referral");
  const reasonCode =
    textAt(referral, "Refer", "DiagnoseCode") ?? textAt(referral, "ReferralAdditional", "DiagnoseCode");
  return {
    kind: "referral",
    referralId: header.letterId ?? "",
    category: type.referralCategory ?? "other",
    ...(priority === undefined ? {} : { priority }),
    ...(reasonCode === undefined ? {} : { reasonCode }),
  };
}

/** XREQ01–04 → lab-requisition. */
export function readLabRequisition(
  type: LetterType,
  header: LetterFields,
  consentGiven: boolean | null,
): ContentOf<"lab-requisition"> {
  return {
    kind: "lab-requisition",
    letterType: header.statisticalCode ?? type.statisticalCodes[0] ?? "",
    consentGiven,
  };
}

/** Any letter routed on its envelope: which letter it is, and whether it corrects or cancels an earlier one. */
export function readEnvelopeLetter(type: LetterType, header: LetterFields): ContentOf<"letter"> {
  return {
    kind: "letter",
    letterType: header.statisticalCode ?? type.statisticalCodes[0] ?? type.element,
    family: type.family ?? "other",
    corrected: header.statusCode === "rettetbrev",
    cancelled: header.statusCode === "annulleretbrev",
  };
}

/** EDIFACT converters write "Ukendt." (unknown) when the referral's id was not known. */
const UNKNOWN_REFERENCE = /^ukendt\.?$/i;

/**
 * XDIS13 BookingConfirmation → status-update. The referral it confirms is named by Referral/Identifier
 * (optional in the schema). Without a usable one the booking is tracked as an appointment of its own,
 * keyed by the letter id, and the caller gets a warning.
 */
export function readBookingConfirmation(
  letter: XmlElement,
  letterPath: string,
  header: LetterFields,
  fallbackTime: string | undefined,
  warnings: ValidationIssue[],
): ContentOf<"status-update"> {
  const referralId = textAt(letter, "Referral", "Identifier");
  const knownReferral = referralId !== undefined && !UNKNOWN_REFERENCE.test(referralId);
  if (!knownReferral) {
    warnings.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.BOOKING_REFERRAL_UNKNOWN,
        `${letterPath}/Referral/Identifier`,
        "the booking confirmation does not name the referral it confirms; it is tracked as an appointment on its own",
      ),
    );
  }
  const start = dateTimeAt(childOf(letter, "Confirmation"));
  const status =
    header.statusCode === "annulleretbrev"
      ? "cancelled"
      : header.statusCode === "rettetbrev"
        ? "rescheduled"
        : "booked";
  return {
    kind: "status-update",
    subject: knownReferral ? { type: "referral", id: referralId } : { type: "appointment", id: header.letterId ?? "" },
    status,
    occurredAt: header.authorisedAt ?? fallbackTime ?? start ?? "",
    ...(start === undefined ? {} : { appointment: { start } }),
  };
}

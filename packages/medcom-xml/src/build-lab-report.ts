import type { Party } from "@carehub/schemas";
import { dateTimeElement, envelopeElement, OioxmlBuildError, partyElement, requireText } from "./build-common.ts";
import { isValidCpr } from "./identifiers.ts";
import type { ResultStatusCode } from "./letter-types.ts";
import { leaf, writeDocument, type XmlEncoding, type XmlNodeSpec } from "./xml-writer.ts";

const NAMESPACES = {
  XR0130K: "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2007/02/01/",
  XR0131K: "http://rep.oio.dk/medcom.dk/xml/schemas/2014/10/08/",
} as const;

export interface LabReportResultInput {
  /** NPU or local code, e.g. NPU01807. */
  analysisCode: string;
  /** Default iupac for NPU codes, lokal otherwise. */
  analysisCodeType?: string;
  /** Default SST for NPU codes, MCS otherwise. */
  analysisCodeResponsible?: string;
  shortName?: string;
  completeName?: string;
  status: ResultStatusCode;
  /** Who measured it (ProducerOfLabResult): an identifier and the code saying what kind of identifier it is. */
  producer?: { identifier: string; identifierCode: string };
  referenceInterval?: {
    typeOfInterval: "fysiologisk" | "terapeutisk" | "uspecificeret";
    lowerLimit?: string;
    upperLimit?: string;
  };
  resultType?: "numerisk" | "alfanumerisk";
  operator?: "mindre_end" | "stoerre_end";
  value?: string;
  unit?: string;
  validation?: "for_hoej" | "for_lav" | "unormal";
  comments?: string[];
}

export interface LabReportInput {
  /** Schema version: XR0131K (2014, default) or XR0130K (2007). */
  versionCode?: "XR0130K" | "XR0131K";
  ids: { envelopeId: string; letterId: string };
  /** When the report is sent (envelope Sent and letter Authorisation), written as Danish local time. */
  now: Date | string;
  /** When the results were released (Letter/Authorisation and ResultsDateTime). Default: `now`. */
  issued?: Date | string;
  /** Ask the receiver for a positive receipt (pluspositivkvitt). Default false. */
  ackRequested?: boolean;
  /** rettetbrev for a corrected report. Default nytbrev. */
  statusCode?: "nytbrev" | "rettetbrev";
  sender: Party;
  receiver: Party;
  ccReceivers?: Party[];
  patient: { cpr: string; surname?: string; givenName?: string; consentGiven?: boolean };
  sample?: { laboratorySampleId: string; requesterSampleId?: string; samplingTime?: Date | string };
  /** ReportStatusCode (2014 schema only). */
  reportStatus?: "del_svar" | "komplet_svar" | "modtaget";
  results: LabReportResultInput[];
  /** Default windows-1252; encode with `encodeXmlText` before sending. */
  encoding?: XmlEncoding;
}

function resultElement(result: LabReportResultInput): XmlNodeSpec {
  const npu = result.analysisCode.startsWith("NPU");
  return [
    "Result",
    [
      ["ResultStatusCode", result.status],
      [
        "Analysis",
        [
          ["AnalysisCode", requireText(result.analysisCode, "an analysis code")],
          ["AnalysisCodeType", result.analysisCodeType ?? (npu ? "iupac" : "lokal")],
          ["AnalysisCodeResponsible", result.analysisCodeResponsible ?? (npu ? "SST" : "MCS")],
          leaf("AnalysisShortName", result.shortName),
          leaf("AnalysisCompleteName", result.completeName),
        ],
      ],
      result.producer === undefined
        ? undefined
        : [
            "ProducerOfLabResult",
            [
              ["Identifier", result.producer.identifier],
              ["IdentifierCode", result.producer.identifierCode],
            ],
          ],
      result.referenceInterval === undefined
        ? undefined
        : [
            "ReferenceInterval",
            [
              ["TypeOfInterval", result.referenceInterval.typeOfInterval],
              leaf("LowerLimit", result.referenceInterval.lowerLimit),
              leaf("UpperLimit", result.referenceInterval.upperLimit),
            ],
          ],
      leaf(
        "ResultType",
        result.resultType ??
          (result.value !== undefined && /^-?\d+([.,]\d+)?$/.test(result.value) ? "numerisk" : "alfanumerisk"),
      ),
      leaf("Operator", result.operator),
      leaf("Value", result.value),
      leaf("Unit", result.unit),
      leaf("ResultValidation", result.validation),
      ...(result.comments ?? []).map((comment): XmlNodeSpec => ["ResultComments", comment]),
    ],
  ];
}

/**
 * An XRPT01 LaboratoryReport (klinisk biokemi), as the simulated lab sends it. Pure; throws OioxmlBuildError
 * on input that cannot make a valid letter (missing GLN, invalid CPR, no results).
 */
export function buildLabReport(input: LabReportInput): string {
  const versionCode = input.versionCode ?? "XR0131K";
  if (!isValidCpr(input.patient.cpr)) throw new OioxmlBuildError("the patient's CPR number is not valid");
  if (input.results.length === 0) throw new OioxmlBuildError("a lab report needs at least one result");
  const sample = input.sample;
  const letter: XmlNodeSpec = [
    "LaboratoryReport",
    [
      [
        "Letter",
        [
          ["Identifier", requireText(input.ids.letterId, "the letter id")],
          ["VersionCode", versionCode],
          ["StatisticalCode", "XRPT01"],
          dateTimeElement("Authorisation", input.issued ?? input.now),
          ["TypeCode", "XRPT01"],
          ["StatusCode", input.statusCode ?? "nytbrev"],
        ],
      ],
      partyElement("Sender", input.sender, "sender"),
      partyElement("Receiver", input.receiver, "receiver"),
      ...(input.ccReceivers ?? []).map((cc) => partyElement("CCReceiver", cc, "cc receiver")),
      [
        "Patient",
        [
          ["CivilRegistrationNumber", input.patient.cpr],
          leaf("PersonSurnameName", input.patient.surname),
          leaf("PersonGivenName", input.patient.givenName),
          input.patient.consentGiven === undefined
            ? undefined
            : ["Consent", [["Given", String(input.patient.consentGiven)]]],
        ],
      ],
      sample === undefined
        ? undefined
        : [
            "RequisitionInformation",
            [
              [
                "Sample",
                [
                  ["LaboratoryInternalSampleIdentifier", requireText(sample.laboratorySampleId, "the sample id")],
                  leaf("RequesterSampleIdentifier", sample.requesterSampleId),
                  sample.samplingTime === undefined
                    ? undefined
                    : dateTimeElement("SamplingDateTime", sample.samplingTime),
                ],
              ],
            ],
          ],
      [
        "LaboratoryResults",
        [
          [
            "GeneralResultInformation",
            [
              leaf("LaboratoryInternalProductionIdentifier", sample?.laboratorySampleId),
              dateTimeElement("ResultsDateTime", input.issued ?? input.now),
              versionCode === "XR0131K" ? leaf("ReportStatusCode", input.reportStatus) : undefined,
            ],
          ],
          ...input.results.map(resultElement),
        ],
      ],
    ],
  ];
  return writeDocument(
    ["Emessage", [envelopeElement(input.now, input.ids.envelopeId, "the envelope id", input.ackRequested), letter]],
    NAMESPACES[versionCode],
    input.encoding ?? "windows-1252",
  );
}

import type { Party } from "@carehub/schemas";
import { dateTimeElement, envelopeElement, OioxmlBuildError, partyElement, requireText } from "./build-common.ts";
import { type LetterType, letterTypeFor } from "./letter-types.ts";
import { leaf, writeDocument, type XmlEncoding, type XmlNodeSpec } from "./xml-writer.ts";

/** The schema release most letter types were last published in before the 2012 namespace change. */
export const LETTER_NAMESPACE = "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/";

export interface LetterInput {
  /** The letter element, e.g. "AnswerOfAdmission" (one of LETTER_TYPES). */
  element: string;
  sender: Party;
  receiver: Party;
  /** The patient's CPR; left out for letter types without a Patient element. */
  cpr?: string;
  ids: { envelopeId: string; letterId: string };
  now: Date | string;
  statusCode?: "nytbrev" | "rettetbrev" | "annulleretbrev";
  /** Default: the type's first VersionCode. */
  versionCode?: string;
  ackRequested?: boolean;
  /** Kind-specific elements after the Patient (e.g. a lab report's LaboratoryResults), already shaped. */
  body?: XmlNodeSpec[];
  encoding?: XmlEncoding;
}

function letterTypeOrThrow(element: string): LetterType {
  const type = letterTypeFor(element);
  if (type === undefined) throw new OioxmlBuildError(`${element} is not a MedCom OIOXML letter type`);
  return type;
}

/**
 * Any MedCom OIOXML letter with a valid envelope and letter header: the envelope, Letter, Sender, Receiver
 * and Patient every letter shares, then `body`. Used for letters carehub routes on their envelope and for the
 * project's own conformance corpus. Pure; throws OioxmlBuildError on input that cannot make a letter.
 */
export function buildLetter(input: LetterInput): string {
  const type = letterTypeOrThrow(input.element);
  const versionCode = input.versionCode ?? type.versionCodes[0];
  const statisticalCode = type.statisticalCodes[0];
  if (versionCode === undefined || statisticalCode === undefined) {
    throw new OioxmlBuildError(`${input.element} has no version to build`);
  }
  if (type.receipt !== undefined) throw new OioxmlBuildError("receipts are built by buildReceipt");
  const patient: XmlNodeSpec | undefined =
    type.noPatient || input.cpr === undefined ? undefined : ["Patient", [["CivilRegistrationNumber", input.cpr]]];
  if (!type.noPatient && patient === undefined) throw new OioxmlBuildError(`${input.element} needs a patient`);
  return writeDocument(
    [
      "Emessage",
      [
        envelopeElement(input.now, input.ids.envelopeId, "the envelope id", input.ackRequested),
        [
          type.element,
          [
            [
              "Letter",
              [
                ["Identifier", requireText(input.ids.letterId, "the letter id")],
                ["VersionCode", versionCode],
                ["StatisticalCode", statisticalCode],
                dateTimeElement("Authorisation", input.now),
                ["TypeCode", statisticalCode],
                leaf("StatusCode", input.statusCode),
              ],
            ],
            partyElement("Sender", input.sender, "sender"),
            partyElement("Receiver", input.receiver, "receiver"),
            patient,
            ...(input.body ?? []),
          ],
        ],
      ],
    ],
    LETTER_NAMESPACE,
    input.encoding ?? "windows-1252",
  );
}

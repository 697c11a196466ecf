import type { Party } from "@carehub/schemas";
import { envelopeElement, OioxmlBuildError, partyElement, requireGln, requireText } from "./build-common.ts";
import type { RefuseCode } from "./codes.ts";
import { leaf, writeDocument, type XmlEncoding } from "./xml-writer.ts";

/** The 2005/08/07 schema release holds the receipt letters (XC0230Q, XC0330Q). */
export const RECEIPT_NAMESPACE = "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/";

export interface ReceiptInput {
  type: "XCTL02" | "XCTL03";
  /** The letter being answered, as it was received. */
  original: { envelopeId: string; letterId: string; versionCode?: string; sender: Party; receiver: Party };
  /** Required for XCTL02 (negative receipt); ignored for XCTL03. */
  refuseCode?: RefuseCode;
  refuseText?: string;
  /** Ids of the receipt itself (envelope and letter), from the caller's id source. */
  ids: { envelopeId: string; letterId: string };
  /** When the receipt is sent; written as Danish local time. */
  now: Date | string;
  /** Default windows-1252, as MedCom letters are; encode with `encodeXmlText` before sending. */
  encoding?: XmlEncoding;
}

/**
 * A positive (XCTL03) or negative (XCTL02) receipt for a received letter. It goes from the original receiver
 * back to the original sender and never asks for a receipt itself. Pure; throws OioxmlBuildError on bad input.
 */
export function buildReceipt(input: ReceiptInput): string {
  const encoding = input.encoding ?? "windows-1252";
  const negative = input.type === "XCTL02";
  if (negative && input.refuseCode === undefined) {
    throw new OioxmlBuildError("a negative receipt (XCTL02) needs a refuseCode");
  }
  const { original } = input;
  const root = negative ? "NegativeReceipt" : "PositiveReceipt";
  return writeDocument(
    [
      "Emessage",
      [
        envelopeElement(input.now, input.ids.envelopeId, "the receipt's envelope id", false),
        [
          root,
          [
            [
              "Letter",
              [
                ["Identifier", requireText(input.ids.letterId, "the receipt's letter id")],
                ["VersionCode", negative ? "XC0230Q" : "XC0330Q"],
                ["StatisticalCode", input.type],
              ],
            ],
            partyElement("Sender", { gln: requireGln(original.receiver, "original receiver") }, "original receiver"),
            partyElement("Receiver", { gln: requireGln(original.sender, "original sender") }, "original sender"),
            [
              "OriginalEmessage",
              [
                ["OriginalEnvelopeIdentifier", requireText(original.envelopeId, "the original envelope id")],
                ["OriginalSender", [["EANIdentifier", requireGln(original.sender, "original sender")]]],
                ["OriginalReceiver", [["EANIdentifier", requireGln(original.receiver, "original receiver")]]],
                [
                  "OriginalLetter",
                  [
                    ["OriginalLetterIdentifier", requireText(original.letterId, "the original letter id")],
                    leaf("OriginalVersionCode", original.versionCode),
                    negative ? leaf("RefuseCode", input.refuseCode) : undefined,
                    negative ? leaf("RefuseText", input.refuseText) : undefined,
                  ],
                ],
              ],
            ],
          ],
        ],
      ],
    ],
    RECEIPT_NAMESPACE,
    encoding,
  );
}

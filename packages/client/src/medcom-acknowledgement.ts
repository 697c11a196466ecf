import { parseMessage } from "@carehub/formats";
import { buildAcknowledgement, serializeFhirXml } from "@carehub/medcom-fhir";
import { buildReceipt, encodeXmlText, REFUSE_CODES, type RefuseCode } from "@carehub/medcom-xml";
import { CONTENT_TYPES } from "@carehub/schemas";
import type { AcknowledgementBuilder, MessageParser } from "./receiver.ts";

/** Parses a delivered message with carehub's own MedCom parsers (the same ones the hub validates with). */
export const parseDeliveredMessage: MessageParser = (body, contentType) =>
  parseMessage(body, contentType === undefined ? {} : { contentType });

/**
 * Builds the MedCom answer to a message: a FHIR Acknowledgement (in the wire format the message came in)
 * for FHIR messages, an XCTL03 positive or XCTL02 negative receipt for OIOXML letters.
 */
export const buildMedcomAcknowledgement: AcknowledgementBuilder = (input) => {
  const { original } = input;
  if (original.format === "oioxml") {
    const negative = input.code !== "ok";
    const first = input.issues[0];
    const xml = buildReceipt({
      type: negative ? "XCTL02" : "XCTL03",
      original: {
        // A letter without an envelope id cannot have been delivered; the letter id is the closest reference.
        envelopeId: original.envelopeId ?? original.messageId,
        letterId: original.messageId,
        ...(original.standardVersion === undefined ? {} : { versionCode: original.standardVersion }),
        sender: original.sender,
        receiver: input.acknowledger,
      },
      ...(negative ? { refuseCode: refuseCodeOf(first?.code), refuseText: first?.text ?? first?.code ?? "" } : {}),
      ids: { envelopeId: input.envelopeId, letterId: input.ackMessageId },
      now: input.sentAt,
    });
    return { body: encodeXmlText(xml), contentType: CONTENT_TYPES.oioxml };
  }
  const built = buildAcknowledgement({
    original: { messageId: original.messageId, sender: original.sender, receivers: original.receivers },
    acknowledger: input.acknowledger,
    code: input.code,
    issues: input.issues.map((issue) => ({
      code: issue.code,
      text: issue.text ?? issue.code,
      severity: issue.severity,
    })),
    ids: { bundleId: input.envelopeId, messageHeaderId: input.ackMessageId },
    now: input.sentAt.toISOString(),
  });
  if (original.format === "fhir+xml") {
    return { body: serializeFhirXml(built.bundle), contentType: CONTENT_TYPES["fhir+xml"] };
  }
  return { body: built.json, contentType: CONTENT_TYPES["fhir+json"] };
};

function refuseCodeOf(code: string | undefined): RefuseCode {
  return (REFUSE_CODES as readonly string[]).includes(code ?? "") ? (code as RefuseCode) : "ikke_specificeret";
}

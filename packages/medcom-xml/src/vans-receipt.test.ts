import { describe, expect, it } from "vitest";
import { RECEIVER_GLN, SENDER_GLN } from "../test/fixtures.ts";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { encodeXmlText } from "./encode.ts";
import { parseOioxmlMessage } from "./parse-oioxml.ts";

/** A receipt of the given type signed by `senderId`, written from MedCom's receipt schemas. */
function receipt(element: string, code: string, version: string, senderId: string): string {
  // XCTL01 refuses the whole envelope: its RefuseCode sits beside the letters, not in each.
  const envelopeRefusal = element === "NegativeVansReceipt" ? "<RefuseCode>ikke_specificeret</RefuseCode>" : "";
  const letterRefusal = envelopeRefusal === "" ? "<RefuseCode>ikke_specificeret</RefuseCode>" : "";
  return `<?xml version="1.0" encoding="ISO-8859-1"?>
<Emessage xmlns="http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/"><Envelope><Sent><Date>2026-03-02</Date><Time>10:15</Time></Sent><Identifier>E-1</Identifier></Envelope><${element}><Letter><Identifier>L-1</Identifier><VersionCode>${version}</VersionCode><StatisticalCode>${code}</StatisticalCode></Letter><Sender><EANIdentifier>${senderId}</EANIdentifier></Sender><Receiver><EANIdentifier>${SENDER_GLN}</EANIdentifier></Receiver><OriginalEmessage><OriginalEnvelopeIdentifier>E-0</OriginalEnvelopeIdentifier><OriginalSender><EANIdentifier>${SENDER_GLN}</EANIdentifier></OriginalSender><OriginalReceiver><EANIdentifier>${RECEIVER_GLN}</EANIdentifier></OriginalReceiver>${envelopeRefusal}<OriginalLetter><OriginalLetterIdentifier>L-0</OriginalLetterIdentifier>${letterRefusal}</OriginalLetter></OriginalEmessage></${element}></Emessage>`;
}

describe("the sender of a receipt", () => {
  // Catches: a VANS id stored as a GLN, where the registry can never resolve it to the VANS endpoint.
  it("of an XCTL01 may be a VANS id, kept as `vans`, never as a GLN", () => {
    const result = parseOioxmlMessage(
      encodeXmlText(receipt("NegativeVansReceipt", "XCTL01", "XC0130Q", "DKKMDKMDNET")),
    );
    expect(result.ok && result.message.sender).toEqual({ vans: "DKKMDKMDNET" });
  });

  it("of an XCTL01 may also be a VANS provider's GLN, still checked", () => {
    const ok = parseOioxmlMessage(encodeXmlText(receipt("NegativeVansReceipt", "XCTL01", "XC0130Q", RECEIVER_GLN)));
    expect(ok.ok && ok.message.sender).toEqual({ gln: RECEIVER_GLN });
    const badGln = `${RECEIVER_GLN.slice(0, 12)}${(Number(RECEIVER_GLN[12]) + 1) % 10}`;
    const bad = parseOioxmlMessage(encodeXmlText(receipt("NegativeVansReceipt", "XCTL01", "XC0130Q", badGln)));
    expect(bad.ok ? [] : bad.issues.map((i) => i.code)).toEqual([OIOXML_ERROR_CODES.GLN_CHECK_DIGIT]);
  });

  // Catches: the VANS exemption leaking to the receiving system's receipts, which must be signed with a GLN.
  it("of an XCTL02 must be a GLN", () => {
    const result = parseOioxmlMessage(encodeXmlText(receipt("NegativeReceipt", "XCTL02", "XC0230Q", "DKKMDKMDNET")));
    expect(result.ok ? [] : result.issues.map((i) => i.code)).toEqual([OIOXML_ERROR_CODES.GLN_FORMAT]);
  });
});

import { encodeXmlText, parseOioxmlMessage } from "@carehub/medcom-xml";
import { EndpointRegistry, hashToken } from "@carehub/registry";
import type { Endpoint, ParsedMessage, RegistryConfigInput } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { checkSource } from "./source-check.ts";

const PRACTICE_GLN = "5790000127092";
const VANS_ID = "DKKMDKMDNET";

/** A hub with a practice and a VANS through which letters for other parties travel. */
function config(vansKind: "vans" | "hospital" = "vans"): RegistryConfigInput {
  return {
    hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
    endpoints: [
      {
        id: "practice",
        name: "Practice",
        kind: "practice",
        identifiers: { sor: ["52581000016005"], gln: [PRACTICE_GLN] },
        sends: ["lab-requisition", "acknowledgement"],
        accepts: ["acknowledgement"],
        delivery: { mode: "nats" },
        auth: { tokenSha256: [hashToken("token-practice")] },
      },
      {
        id: "vans-kmd",
        name: "VANS (KMD)",
        kind: vansKind,
        identifiers: { gln: ["5790000123117"], vans: [VANS_ID] },
        sends: ["acknowledgement", "letter"],
        accepts: ["lab-requisition", "letter"],
        delivery: { mode: "nats" },
        auth: { tokenSha256: [hashToken("token-vans")] },
      },
    ],
  };
}

/** An XCTL01 negative VANS receipt, written from MedCom's NegativeVansReceipt schema (XC0130Q). */
function vansReceipt(senderId: string): ParsedMessage {
  const xml = `<?xml version="1.0" encoding="ISO-8859-1"?>
<Emessage xmlns="http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/"><Envelope><Sent><Date>2026-03-02</Date><Time>10:15</Time></Sent><Identifier>VANS-ENV-1</Identifier><AcknowledgementCode>minuspositivkvitt</AcknowledgementCode></Envelope><NegativeVansReceipt><Letter><Identifier>VANS-L-1</Identifier><VersionCode>XC0130Q</VersionCode><StatisticalCode>XCTL01</StatisticalCode></Letter><Sender><EANIdentifier>${senderId}</EANIdentifier></Sender><Receiver><EANIdentifier>${PRACTICE_GLN}</EANIdentifier></Receiver><OriginalEmessage><OriginalEnvelopeIdentifier>ENV-9</OriginalEnvelopeIdentifier><OriginalSender><EANIdentifier>${PRACTICE_GLN}</EANIdentifier></OriginalSender><OriginalReceiver><EANIdentifier>5790000123117</EANIdentifier></OriginalReceiver><RefuseCode>ukendt_lokationsnummer</RefuseCode><OriginalLetter><OriginalLetterIdentifier>REQ-9</OriginalLetterIdentifier><OriginalVersionCode>XQ0130K</OriginalVersionCode></OriginalLetter></OriginalEmessage></NegativeVansReceipt></Emessage>`;
  const result = parseOioxmlMessage(encodeXmlText(xml));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.message;
}

function endpoint(registry: EndpointRegistry, id: string): Endpoint {
  const found = registry.byId(id);
  if (found === undefined) throw new Error(`no endpoint ${id}`);
  return found;
}

describe("a VANS receipt (XCTL01 signed with a VANS id, not a GLN)", () => {
  const registry = EndpointRegistry.from(config());

  // Catches: VANS receipts having no way in (the sender is not a GLN, so no endpoint ever matched).
  it("is accepted from the endpoint registered as that VANS, and answers the original letter", () => {
    const receipt = vansReceipt(VANS_ID);
    expect(receipt.sender).toEqual({ vans: VANS_ID });
    expect(receipt.content).toMatchObject({ kind: "acknowledgement", code: "fatal-error", respondsTo: "REQ-9" });
    expect(checkSource(receipt, endpoint(registry, "vans-kmd"), registry)).toEqual([]);
  });

  // Catches: any endpoint signing receipts with a VANS id it does not hold (a practice forging a VANS refusal).
  it("is refused from any other endpoint", () => {
    const issues = checkSource(vansReceipt(VANS_ID), endpoint(registry, "practice"), registry);
    expect(issues.map((i) => i.code)).toContain("CAREHUB_ERR_INTAKE_SENDER_MISMATCH");
    expect(issues[0]?.message).toContain("registered to endpoint vans-kmd");
  });

  // Catches: a VANS id the registry does not know being accepted from the VANS endpoint.
  it("is refused when the VANS id is not the one registered", () => {
    const issues = checkSource(vansReceipt("DKOTHERVANS"), endpoint(registry, "vans-kmd"), registry);
    expect(issues.map((i) => i.code)).toEqual(["CAREHUB_ERR_INTAKE_SENDER_MISMATCH"]);
  });

  // Catches: VANS ids on an endpoint that is not a VANS, which would let it sign receipts without a GLN.
  it("is only registrable on an endpoint of kind vans", () => {
    expect(() => EndpointRegistry.from(config("hospital"))).toThrow(/only an endpoint of kind vans has VANS ids/);
  });
});

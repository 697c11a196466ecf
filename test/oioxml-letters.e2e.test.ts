import { randomUUID } from "node:crypto";
import { buildLetter, buildReceipt, encodeXmlText, LETTER_TYPES, type LetterType } from "@carehub/medcom-xml";
import type { LifecycleEvent, MessageKind } from "@carehub/schemas";
import { MESSAGE_KINDS } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, type HarnessEndpoint, startHarness } from "./src/harness.ts";

/**
 * Every MedCom OIOXML letter type, built with carehub's own builder, travels through the real gateway to the
 * endpoint its Receiver names, and the receiver's positive receipt (XCTL03) comes back and is matched. A VANS
 * that cannot deliver answers with a negative VANS receipt (XCTL01) signed with its VANS id.
 */

const ALL: MessageKind[] = [...MESSAGE_KINDS];
const SENDER_GLN = "5790000127092";
const RECEIVER_GLN = "5790000120420";
const VANS_CARRIED_GLN = "5790000181872";
const VANS_ID = "DKKMDKMDNET";

const ENDPOINTS: HarnessEndpoint[] = [
  {
    id: "sender",
    name: "sender",
    kind: "practice",
    identifiers: { sor: [], gln: [SENDER_GLN] },
    sends: ALL,
    accepts: ALL,
  },
  {
    id: "receiver",
    name: "receiver",
    kind: "hospital",
    identifiers: { sor: [], gln: [RECEIVER_GLN] },
    sends: ALL,
    accepts: ALL,
  },
  {
    id: "vans",
    name: "VANS",
    kind: "vans",
    identifiers: { sor: [], gln: [VANS_CARRIED_GLN], vans: [VANS_ID] },
    sends: ["acknowledgement"],
    accepts: ALL,
  },
];

function bodyFor(type: LetterType) {
  const lab = ["lab-result", "pathology-result", "microbiology-result"].includes(type.reader);
  return lab
    ? [["LaboratoryResults", [["GeneralResultInformation", [["ResultStatusCode", "svar_endeligt"]]]]] as never]
    : [];
}

function letterOf(type: LetterType, receiverGln: string) {
  const letterId = randomUUID().replaceAll("-", "").slice(0, 20);
  const xml = buildLetter({
    element: type.element,
    sender: { gln: SENDER_GLN },
    receiver: { gln: receiverGln },
    ...(type.noPatient ? {} : { cpr: "2509479989" }),
    ids: { envelopeId: `E${letterId}`, letterId },
    now: new Date(),
    body: bodyFor(type),
  });
  return { bytes: encodeXmlText(xml), letterId, envelopeId: `E${letterId}` };
}

describe("every OIOXML letter type, end to end", () => {
  let h: Harness;
  const events: LifecycleEvent[] = [];
  let stop: () => void = () => undefined;

  beforeAll(async () => {
    h = await startHarness({ endpoints: ENDPOINTS, rules: [] });
    const subscription = h.hub.bus.nc.subscribe(h.hub.bus.topology.subjects.all.events);
    void (async () => {
      for await (const message of subscription) events.push(message.json<LifecycleEvent>());
    })();
    stop = () => subscription.unsubscribe();
  });
  afterAll(async () => {
    stop();
    await h?.close();
  });

  async function send(from: string, bytes: Uint8Array): Promise<string> {
    const response = await h.send(from, bytes, "application/xml");
    expect(response.status, await response.clone().text()).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  const types = LETTER_TYPES.filter((t) => t.receipt === undefined);
  // Catches: a letter family refused at the gateway, routed to the wrong endpoint, or whose receipt is not matched.
  it.each(types.map((t) => [t.element, t] as const))(
    "%s reaches its receiver and its receipt comes back",
    async (_, type) => {
      const letter = letterOf(type, RECEIVER_GLN);
      const hubId = await send("sender", letter.bytes);
      await h.receiver("receiver").waitFor((d) => d.some((x) => x.hubId === hubId && x.status < 300));
      expect(h.receiver("sender").deliveries.some((x) => x.hubId === hubId)).toBe(false);

      const receiptId = randomUUID().replaceAll("-", "").slice(0, 20);
      const receipt = buildReceipt({
        type: "XCTL03",
        original: {
          envelopeId: letter.envelopeId,
          letterId: letter.letterId,
          sender: { gln: SENDER_GLN },
          receiver: { gln: RECEIVER_GLN },
        },
        ids: { envelopeId: receiptId, letterId: receiptId },
        now: new Date(),
      });
      const receiptHubId = await send("receiver", encodeXmlText(receipt));
      await h.receiver("sender").waitFor((d) => d.some((x) => x.hubId === receiptHubId));
      await h.waitFor(
        async () => (events.some((e) => e.hubId === hubId && e.type === "acknowledged") ? true : undefined),
        `the acknowledged event of ${type.element}`,
      );
      expect(events.find((e) => e.hubId === hubId && e.type === "acknowledged")).toMatchObject({
        endpoint: "receiver",
        code: "ok",
      });
    },
  );

  // Catches: a VANS receipt with no way in, or one not correlated with the letter it refuses.
  it("a VANS's negative receipt (XCTL01, signed DKKMDKMDNET) is accepted from the VANS and matched", async () => {
    const type = LETTER_TYPES.find((t) => t.element === "DischargeLetter") as LetterType;
    const letter = letterOf(type, VANS_CARRIED_GLN);
    const hubId = await send("sender", letter.bytes);
    await h.receiver("vans").waitFor((d) => d.some((x) => x.hubId === hubId && x.status < 300));
    const xml = `<?xml version="1.0" encoding="ISO-8859-1"?>
<Emessage xmlns="http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/"><Envelope><Sent><Date>2026-03-02</Date><Time>10:15</Time></Sent><Identifier>V${letter.letterId}</Identifier></Envelope><NegativeVansReceipt><Letter><Identifier>V${letter.letterId}</Identifier><VersionCode>XC0130Q</VersionCode><StatisticalCode>XCTL01</StatisticalCode></Letter><Sender><EANIdentifier>${VANS_ID}</EANIdentifier></Sender><Receiver><EANIdentifier>${SENDER_GLN}</EANIdentifier></Receiver><OriginalEmessage><OriginalEnvelopeIdentifier>${letter.envelopeId}</OriginalEnvelopeIdentifier><OriginalSender><EANIdentifier>${SENDER_GLN}</EANIdentifier></OriginalSender><OriginalReceiver><EANIdentifier>${VANS_CARRIED_GLN}</EANIdentifier></OriginalReceiver><RefuseCode>ukendt_lokationsnummer</RefuseCode><OriginalLetter><OriginalLetterIdentifier>${letter.letterId}</OriginalLetterIdentifier></OriginalLetter></OriginalEmessage></NegativeVansReceipt></Emessage>`;
    const receiptHubId = await send("vans", encodeXmlText(xml));
    await h.receiver("sender").waitFor((d) => d.some((x) => x.hubId === receiptHubId));
    await h.waitFor(
      async () => (events.some((e) => e.hubId === hubId && e.type === "acknowledged") ? true : undefined),
      "the acknowledged event of the refused letter",
    );
    expect(events.find((e) => e.hubId === hubId && e.type === "acknowledged")).toMatchObject({
      endpoint: "vans",
      code: "fatal-error",
    });

    // The same receipt from an endpoint that is not that VANS is refused at intake.
    const forged = await h.send(
      "receiver",
      encodeXmlText(xml.replaceAll(`V${letter.letterId}`, `F${letter.letterId}`)),
      "application/xml",
    );
    expect(forged.status).toBe(202);
    const forgedId = ((await forged.json()) as { id: string }).id;
    await h.waitFor(
      async () => (events.some((e) => e.hubId === forgedId && e.type === "rejected") ? true : undefined),
      "the forged receipt's rejection",
    );
  });
});

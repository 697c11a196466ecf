import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { buildAcknowledgement, parseFhirMessage } from "@carehub/medcom-fhir";
import { buildReceipt, encodeXmlText, parseOioxmlMessage } from "@carehub/medcom-xml";
import type { LifecycleEvent, MessageKind, ParsedMessage } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, type HarnessEndpoint, startHarness } from "./src/harness.ts";

/**
 * Every valid MedCom example, sent by the endpoint it names as its sender, reaches exactly the endpoints it
 * addresses; the receiver's acknowledgement reaches the sender; and the message's status can be followed
 * through its lifecycle events (received → routed → delivered → acknowledged).
 */

const EXAMPLES = medcomExamplesDir();
const ACK = "acknowledgement" as const;

function endpoint(
  id: string,
  kind: HarnessEndpoint["kind"],
  identifiers: { sor?: string[]; gln?: string[] },
  sends: MessageKind[],
  accepts: MessageKind[],
): HarnessEndpoint {
  return {
    id,
    name: id,
    kind,
    identifiers: { sor: identifiers.sor ?? [], gln: identifiers.gln ?? [] },
    sends,
    accepts,
  };
}

/** The organisations the examples name, as registered endpoints. */
const ENDPOINTS: HarnessEndpoint[] = [
  endpoint(
    "herlev-hospital",
    "hospital",
    { sor: ["265161000016000"], gln: ["5790000209354"] },
    ["care-communication", "hospital-notification", ACK],
    ["care-communication", ACK],
  ),
  // The CareCommunication forward examples address a second SOR id of the same organisation (same GLN).
  endpoint(
    "plejecenter-herlev",
    "municipality",
    { sor: ["953741000016009", "1042981000016003"], gln: ["5790001348120"] },
    ["care-communication", ACK],
    ["care-communication", "hospital-notification", ACK],
  ),
  endpoint(
    "acute-team",
    "municipality",
    { sor: ["1144561000016002"], gln: ["5790000123117"] },
    ["homecare-observation", ACK],
    [ACK],
  ),
  endpoint(
    "skodstrup",
    "practice",
    { sor: ["52581000016005"], gln: ["5790000127092"] },
    ["lab-result", ACK],
    ["homecare-observation", "lab-result", ACK],
  ),
  endpoint(
    "acute-team-test",
    "municipality",
    { sor: ["1267041000016006"], gln: ["5790002757778"] },
    ["homecare-observation", ACK],
    [ACK],
  ),
  endpoint(
    "agerskov",
    "practice",
    { sor: ["73091000016008"], gln: ["5790000147465"] },
    [ACK],
    ["homecare-observation", ACK],
  ),
  endpoint("svendborg-lab", "laboratory", { gln: ["5790000120284"] }, ["lab-result", ACK], [ACK]),
  endpoint("klamer", "practice", { gln: ["5790000125012"] }, [ACK], ["lab-result", ACK]),
  endpoint("hillerod-sygehus", "hospital", { gln: ["5790000120420"] }, ["status-update", ACK], [ACK]),
  endpoint("laegehuset-128686", "practice", { gln: ["5790000128686"] }, [ACK], ["status-update", ACK]),
  endpoint(
    "laegehuset-hillerod",
    "practice",
    { sor: ["543210987654321"], gln: ["5790000121526"] },
    ["referral", ACK],
    ["referral", "empty", ACK],
  ),
  endpoint("hillerod-hospital", "hospital", { gln: ["5790000201389"] }, [ACK], ["referral", ACK]),
  endpoint("laegehuset-127269", "practice", { gln: ["5790000127269"] }, ["referral", ACK], [ACK]),
  endpoint("specialist", "practice", { gln: ["5790000183784"] }, [ACK], ["referral", ACK]),
  endpoint("medcom-testcenter", "practice", { gln: ["5790000120314"] }, ["referral", ACK], [ACK]),
  endpoint("ouh", "hospital", { gln: ["5790000183838"] }, ["lab-requisition", ACK], [ACK]),
  endpoint("lab-121212", "laboratory", { gln: ["5790000121212"] }, [ACK], ["lab-requisition", ACK]),
  endpoint("empty-sender", "practice", { sor: ["123456789012345"], gln: ["5790001382445"] }, ["empty", ACK], [ACK]),
  endpoint("receipt-receiver", "practice", { gln: ["5790000181872"] }, [ACK], [ACK]),
  endpoint("databank", "databank", { sor: ["112358000016006"], gln: ["5790000188888"] }, [ACK], ["lab-result", ACK]),
];

interface Case {
  file: string;
  from: string;
  to: string;
  /** An example acknowledgement that answers this message (otherwise the receiver builds one). */
  answeredBy?: string;
}

/** In an order where every original goes before what corrects, retracts, answers or forwards it. */
const CASES: Case[] = [
  {
    file: "fhir/carecommunication/ig-add5e7e2-0c0f-4a4a-bfff-f6f984fa7e3c.json",
    from: "herlev-hospital",
    to: "plejecenter-herlev",
    answeredBy: "fhir/acknowledgement/ig-a8c041b8-c65a-4fde-a90f-962076918834.json",
  },
  {
    file: "fhir/carecommunication/ig-b56549f7-ed10-422d-8088-f7222b686e46.json",
    from: "plejecenter-herlev",
    to: "herlev-hospital",
  },
  {
    file: "fhir/carecommunication/ig-3dcb5618-3055-406a-9034-1b8fc8de0fea.json",
    from: "herlev-hospital",
    to: "plejecenter-herlev",
  },
  {
    file: "fhir/carecommunication/ig-c0426e3e-978f-46e8-a366-a30f27854b0a.json",
    from: "plejecenter-herlev",
    to: "plejecenter-herlev",
  },
  {
    file: "fhir/carecommunication/ig-d11968f5-4bdf-4b50-b146-a8e1cc890fc3.json",
    from: "plejecenter-herlev",
    to: "plejecenter-herlev",
  },
  {
    file: "fhir/carecommunication/ig-gfd00bc2-9c26-4174-934e-f6e4360845de.json",
    from: "herlev-hospital",
    to: "plejecenter-herlev",
  },
  {
    file: "fhir/carecommunication/ig-0d5b3c18-fab6-4d93-9d88-c9c8abf1f18c.json",
    from: "herlev-hospital",
    to: "plejecenter-herlev",
  },
  {
    file: "fhir/carecommunication/ig-k7bfbc0c-553d-11ed-bdc3-0242ac120002.json",
    from: "herlev-hospital",
    to: "plejecenter-herlev",
  },
  {
    file: "fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json",
    from: "acute-team",
    to: "skodstrup",
  },
  {
    file: "fhir/homecareobservation/ig-73996cdc-3192-4d15-bd16-c365ef0085e7.json",
    from: "acute-team",
    to: "skodstrup",
  },
  {
    file: "fhir/homecareobservation/ig-5f341feb-9a20-463a-96cc-a9ca8ace5567.json",
    from: "acute-team",
    to: "skodstrup",
  },
  {
    file: "fhir/homecareobservation/ig-add5e7e2-0c0f-4a4a-bfff-f6f984fa7e3c.json",
    from: "acute-team",
    to: "skodstrup",
  },
  {
    file: "fhir/homecareobservation/ig-faa0c104-0ebf-49cb-bad1-9e0f59436e18.json",
    from: "acute-team",
    to: "skodstrup",
  },
  ...[1, 2, 3, 4].map((n) => ({
    file: `fhir/homecareobservation/ig-ReceiveTestExample${n}.json`,
    from: "acute-team-test",
    to: "agerskov",
  })),
  ...[
    "ig-a5e5b880-c087-4055-b9ec-99108695f81d",
    "ig-bfab3e80-9584-11ec-b909-0242ac120002",
    "ig-c83671a4-9584-11ec-b909-0242ac120002",
    "ig-d3128d9b-cede-4c7f-8904-809eab322d7d",
    "ig-e94de8ee-bd94-475e-b454-b8fbbef8a685",
    "ig-f4aa42a4-86db-4e68-9b38-9dda0dfd5774",
    "ig-g099bbf3-3fca-4722-a248-bfe1aa956410",
    "ig-h1c8e4a8-6b45-4669-94ad-2a99ad96bf03",
    "ig-kcab461b-f44e-4d97-a041-ef7e64800587",
    "ig-ld31e08a-b91f-49c3-841a-ce80e6380517",
    "ig-m908i967-9ie3-9023-b9ec-98108695f01d",
    "ig-n73ccf30-80b9-4bd2-bf50-1ac1914498f0",
  ].map((name) => ({
    file: `fhir/hospitalnotification/${name}.json`,
    from: "herlev-hospital",
    to: "plejecenter-herlev",
  })),
  {
    file: "fhir/empty-message/ig-eb26be85-fdb7-454d-a980-95cba6d1745b.json",
    from: "empty-sender",
    to: "laegehuset-hillerod",
  },
  { file: "oioxml/XRPT01_2.xml", from: "svendborg-lab", to: "klamer" },
  { file: "oioxml/XREF01_1.xml", from: "laegehuset-hillerod", to: "hillerod-hospital" },
  { file: "oioxml/XREF06_1.xml", from: "laegehuset-127269", to: "specialist" },
  { file: "oioxml/XREF07_1.xml", from: "medcom-testcenter", to: "laegehuset-hillerod" },
  { file: "oioxml/XREQ01_1.xml", from: "ouh", to: "lab-121212" },
  { file: "oioxml/XDIS13_1.xml", from: "hillerod-sygehus", to: "laegehuset-128686" },
];

/** Acknowledgements whose originals the hub never saw: still relayed to their addressee. */
const UNMATCHED_ACKS: Case[] = [
  {
    file: "fhir/acknowledgement/ig-bc9535ef-ed94-4060-a928-7baddec7ee71.json",
    from: "plejecenter-herlev",
    to: "herlev-hospital",
  },
  {
    file: "fhir/acknowledgement/ig-c9c2b2f6-0807-11ed-861d-0242ac120002.json",
    from: "plejecenter-herlev",
    to: "herlev-hospital",
  },
  { file: "oioxml/XCTL02_1.xml", from: "hillerod-sygehus", to: "receipt-receiver" },
];
// Not sent: XRPT01_1 and XRPT05 (known-bad, see the examples README); XCTL01_1, which the VANS network itself
// produces (its sender DKKMDKMDNET is not an endpoint that could authenticate to the hub); XCTL03_1, which
// reuses XCTL02_1's letter id from the same sender, so the gateway rightly answers it as a duplicate. The
// positive receipt (XCTL03) is covered by the receipts the OIOXML receivers send above.

function contentTypeOf(file: string): string {
  return file.endsWith(".json") ? "application/fhir+json" : "application/xml";
}

function parse(bytes: Uint8Array, file: string): ParsedMessage {
  const result = file.endsWith(".json") ? parseFhirMessage(bytes, { format: "fhir+json" }) : parseOioxmlMessage(bytes);
  if (!result.ok) throw new Error(`${file} does not parse: ${JSON.stringify(result.issues)}`);
  return result.message;
}

/** The acknowledgement a receiving system sends back, in the message's own standard. */
function acknowledgementFor(message: ParsedMessage): { bytes: Uint8Array; contentType: string; messageId: string } {
  const receiver = message.receivers[0];
  if (receiver === undefined) throw new Error("no receiver");
  if (message.format === "oioxml") {
    const letterId = randomUUID().replace(/-/g, "").slice(0, 14).toUpperCase();
    const xml = buildReceipt({
      type: "XCTL03",
      original: {
        envelopeId: message.envelopeId ?? message.messageId,
        letterId: message.messageId,
        ...(message.standardVersion === undefined ? {} : { versionCode: message.standardVersion }),
        sender: message.sender,
        receiver,
      },
      ids: { envelopeId: letterId, letterId },
      now: new Date(),
    });
    return { bytes: encodeXmlText(xml), contentType: "application/xml", messageId: letterId };
  }
  const messageHeaderId = randomUUID();
  const built = buildAcknowledgement({
    original: { messageId: message.messageId, sender: message.sender, receivers: message.receivers },
    acknowledger: receiver,
    code: "ok",
    ids: { bundleId: randomUUID(), messageHeaderId },
    now: new Date().toISOString(),
  });
  return { bytes: Buffer.from(built.json), contentType: "application/fhir+json", messageId: messageHeaderId };
}

/** Lifecycle events as they are published (a core subscription: no polling of the stream). */
class Events {
  readonly all: LifecycleEvent[] = [];
  #stop: () => void = () => undefined;
  listen(h: Harness): void {
    const subscription = h.hub.bus.nc.subscribe(h.hub.bus.topology.subjects.all.events);
    void (async () => {
      for await (const message of subscription) this.all.push(message.json<LifecycleEvent>());
    })();
    this.#stop = () => subscription.unsubscribe();
  }
  of(hubId: string): LifecycleEvent[] {
    return this.all.filter((e) => e.hubId === hubId);
  }
  close(): void {
    this.#stop();
  }
}

describe("delivery of every MedCom example kind, end to end", () => {
  let h: Harness;
  const events = new Events();

  beforeAll(async () => {
    h = await startHarness({ endpoints: ENDPOINTS, rules: [] });
    events.listen(h);
  });
  afterAll(async () => {
    events.close();
    await h?.close();
  });

  async function send(from: string, bytes: Uint8Array, contentType: string): Promise<string> {
    const response = await h.send(from, bytes, contentType);
    expect(response.status, await response.clone().text()).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  /** Where the hub put copies of a message: the OUTBOX subjects holding its hub id. */
  async function outboxEndpointsOf(hubId: string): Promise<string[]> {
    const copies = (await h.streamMessages("outbox")).filter((m) => m.headers["Carehub-Hub-Id"] === hubId);
    return copies.map((m) => m.subject.slice(`${h.namespace}.outbox.`.length)).sort();
  }

  it.each(CASES)(
    "$file: reaches $to only, and $to's acknowledgement reaches $from",
    async ({ file, from, to, answeredBy }) => {
      const bytes = readFileSync(`${EXAMPLES}/${file}`);
      const message = parse(bytes, file);
      const hubId = await send(from, bytes, contentTypeOf(file));

      await h.receiver(to).waitFor((d) => d.some((x) => x.hubId === hubId && x.status < 300));
      const delivered = h.receiver(to).deliveries.filter((d) => d.hubId === hubId);
      expect(delivered).toHaveLength(1);
      expect(delivered[0]?.messageId).toBe(message.messageId);
      expect(delivered[0]?.body.equals(bytes)).toBe(true);
      expect(await outboxEndpointsOf(hubId)).toEqual([to]);

      const answer =
        answeredBy === undefined
          ? acknowledgementFor(message)
          : { bytes: readFileSync(`${EXAMPLES}/${answeredBy}`), contentType: "application/fhir+json", messageId: "" };
      const ackHubId = await send(to, answer.bytes, answer.contentType);
      await h.receiver(from).waitFor((d) => d.some((x) => x.hubId === ackHubId));
      expect(h.receiver(from).deliveries.find((x) => x.hubId === ackHubId)?.kind).toBe("acknowledgement");

      await h.waitFor(
        async () => (events.of(hubId).some((e) => e.type === "acknowledged") ? true : undefined),
        "the acknowledged event",
      );
      const timeline = events.of(hubId);
      // No `received` event: a routed message's arrival is its envelope (the tracker's timeline entry) and its
      // `routed` event (docs/decisions/0054).
      expect(timeline.map((e) => e.type)).toEqual(expect.arrayContaining(["routed", "delivered", "acknowledged"]));
      expect(timeline.map((e) => e.type)).not.toContain("received");
      expect(timeline.find((e) => e.type === "routed")).toMatchObject({ receivers: [to], ruleCopies: [] });
      expect(timeline.find((e) => e.type === "acknowledged")).toMatchObject({ endpoint: to, code: "ok", ackHubId });
      // An acknowledgement is never acknowledged: nothing answers the ack itself.
      expect(events.of(ackHubId).some((e) => e.type === "acknowledged")).toBe(false);
    },
  );

  it.each(UNMATCHED_ACKS)(
    "$file: an acknowledgement of a message unknown to the hub is still relayed to $to",
    async ({ file, from, to }) => {
      const bytes = readFileSync(`${EXAMPLES}/${file}`);
      const hubId = await send(from, bytes, contentTypeOf(file));
      await h.receiver(to).waitFor((d) => d.some((x) => x.hubId === hubId));
      expect(await outboxEndpointsOf(hubId)).toEqual([to]);
      expect(events.all.some((e) => e.type === "acknowledged" && e.ackHubId === hubId)).toBe(false);
    },
  );
});

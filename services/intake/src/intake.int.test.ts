import { readFileSync } from "node:fs";
import { negativeAcknowledgementIds as negativeAckIds } from "@carehub/acknowledgements";
import type { StoredMessage } from "@carehub/bus";
import { openTestNamespace, type TestNamespace, waitFor } from "@carehub/bus/testing";
import { parseMessage, readMessageIdentity } from "@carehub/formats";
import {
  FIRST_COPY_COMMAND,
  ingressCopy,
  ingressHubId,
  ledgerKeys,
  messageHubId,
  parseFirstCopy,
  parseStoredAcknowledgement,
  repeatAnswerIds,
} from "@carehub/ledger";
import { buildStatusUpdate, serializeFhirXml } from "@carehub/medcom-fhir";
import { metricValue } from "@carehub/observability";
import { EndpointRegistry, hashToken } from "@carehub/registry";
import type { Envelope, LifecycleEvent, RegistryConfigInput } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_INTAKE_OPTIONS } from "./intake-options.ts";
import { type RunningIntake, startIntake } from "./start-intake.ts";

const EXAMPLES = medcomExamplesDir();
const homecare = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
const labReport = readFileSync(`${EXAMPLES}/oioxml/XRPT01_2.xml`);
// Both EAN location numbers fail the GS1 check digit (examples README: known-bad).
const badLabReport = readFileSync(`${EXAMPLES}/oioxml/XRPT01_1.xml`);
const HOMECARE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const ACK_ID = "aba2d9bf-2c6c-47e8-bce4-7928bcd51019";
const ack = readFileSync(`${EXAMPLES}/fhir/acknowledgement/ig-a8c041b8-c65a-4fde-a90f-962076918834.json`);

const endpoint = (id: string, kind: string, sor: string, gln: string, sends: string[]) => ({
  id,
  name: id,
  kind,
  identifiers: { sor: [sor], gln: [gln] },
  sends,
  accepts: ["acknowledgement", "lab-result", "homecare-observation"],
  delivery: { mode: "nats" },
  auth: { tokenSha256: [hashToken(`token-${id}`)] },
});
const registryConfig = {
  hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    endpoint("acute-team", "municipality", "1144561000016002", "5790000123117", ["homecare-observation"]),
    endpoint("practice", "practice", "52581000016005", "5790000127092", ["homecare-observation", "acknowledgement"]),
    endpoint("lab", "laboratory", "161803000016005", "5790000120284", ["lab-result"]),
    endpoint("klamer", "practice", "271828000016003", "5790000125012", ["acknowledgement"]),
  ],
} as RegistryConfigInput;

describe("intake against real NATS and Redis", () => {
  let ns: TestNamespace;
  let intake: RunningIntake;
  let now = new Date("2026-03-01T10:00:00.000Z");

  beforeAll(async () => {
    ns = await openTestNamespace("intake");
    intake = await startIntake({
      bus: ns.bus,
      redis: ns.redis,
      registry: EndpointRegistry.from(registryConfig),
      retentionDays: 1,
      clock: () => now,
    });
  });
  afterAll(async () => {
    await intake?.stop();
    await ns?.close();
  });

  /**
   * Puts bytes on INGRESS the way the gateway does: the hub id derived from the message id when there is one,
   * else from the INGRESS position (`label` is the dedup id then). Returns the hub id and the stream position.
   */
  async function fromGateway(
    source: string,
    label: string,
    bytes: Uint8Array,
    contentType: string,
    messageId?: string,
  ) {
    const derived = messageId === undefined ? undefined : messageHubId(ns.namespace, source, messageId);
    const stored = await ns.bus.publish(ns.bus.topology.subjects.ingress(source), bytes, {
      msgId: derived ?? label,
      contentType,
      headers: {
        ...(derived === undefined ? {} : { "Carehub-Hub-Id": derived }),
        "Carehub-Source-Endpoint": source,
        "Carehub-Received-At": "2026-03-01T10:00:00.000Z",
      },
    });
    return { hubId: derived ?? ingressHubId(stored.stream, stored.seq), seq: stored.seq };
  }

  async function all(role: "pipeline" | "events" | "outbox" | "dlq"): Promise<StoredMessage[]> {
    const stream = ns.bus.topology.streams[role];
    const last = (await ns.bus.jsm.streams.info(stream)).state.last_seq;
    const found: StoredMessage[] = [];
    for (let seq = 1; seq <= last; seq++) {
      const message = await ns.bus.getMessage(stream, seq);
      if (message !== null) found.push(message);
    }
    return found;
  }

  async function eventsFor(hubId: string): Promise<LifecycleEvent[]> {
    return (await all("events"))
      .map((m) => JSON.parse(Buffer.from(m.data).toString()))
      .filter((e) => e.hubId === hubId);
  }

  async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it("publishes a valid message's envelope to PIPELINE and no received event (the envelope makes that entry)", async () => {
    const published = await fromGateway("acute-team", "valid", homecare, "application/fhir+json", HOMECARE_ID);
    const id = published.hubId;
    const stored = await until(
      async () => (await all("pipeline")).find((m) => m.headers["Carehub-Hub-Id"] === id),
      "the envelope",
    );
    expect(stored.subject).toBe(`${ns.namespace}.pipeline.homecare-observation`);
    expect(stored.headers["Nats-Msg-Id"]).toBe(id);
    const envelope = JSON.parse(Buffer.from(stored.data).toString()) as Envelope;
    expect(envelope).toMatchObject({
      schemaVersion: 1,
      hubId: id,
      sourceEndpoint: "acute-team",
      receivedAt: "2026-03-01T10:00:00.000Z",
      kind: "homecare-observation",
      messageId: HOMECARE_ID,
      payload: { stream: ns.bus.topology.streams.ingress, seq: published.seq, size: homecare.byteLength },
    });
    // Intake publishes its events before the envelope, so once the envelope is stored any `received` would be too.
    // A routed message's `received` would be one EVENTS message in four for nothing (docs/performance.md).
    expect(await eventsFor(id)).toEqual([]);
  });

  it("rejects a message whose sender is another endpoint and answers the real sender with a FHIR fatal-error", async () => {
    const rejections = { stage: "intake", code: "CAREHUB_ERR_INTAKE_SENDER_MISMATCH" };
    const rejectedBefore = await metricValue("carehub_rejections_total", rejections);
    const { hubId: spoofId } = await fromGateway("practice", "spoof", homecare, "application/fhir+json", HOMECARE_ID);
    const rejected = await until(
      async () => (await eventsFor(spoofId)).find((e) => e.type === "rejected"),
      "the rejected event",
    );
    expect(rejected).toMatchObject({ stage: "intake", sourceEndpoint: "practice" });
    expect(rejected.type === "rejected" && rejected.issues.map((i) => i.code)).toEqual([
      "CAREHUB_ERR_INTAKE_SENDER_MISMATCH",
    ]);
    const nackId = negativeAckIds(spoofId).hubId;
    const answer = await until(
      async () => (await all("outbox")).find((m) => m.headers["Carehub-Hub-Id"] === nackId),
      "the negative acknowledgement",
    );
    // Counted when the rejected event was stored, before the answer was sent: once, under its code.
    expect(await metricValue("carehub_rejections_total", rejections)).toBe(rejectedBefore + 1);
    expect(answer.subject).toBe(`${ns.namespace}.outbox.practice`);
    expect(answer.headers).toMatchObject({
      "Nats-Msg-Id": `${nackId}:practice`,
      "Carehub-Receiver": "practice",
      "Carehub-Kind": "acknowledgement",
      "Carehub-Source-Endpoint": "carehub",
      "Content-Type": "application/fhir+json",
    });
    const bundle = JSON.parse(Buffer.from(answer.data).toString());
    const header = bundle.entry[0].resource;
    expect(header.response).toMatchObject({ identifier: "489de4f2-0d8d-4de2-a7ce-ccb93568799f", code: "fatal-error" });
    expect(JSON.stringify(bundle)).toContain("OperationOutcome");
    // Kept for duplicates, byte for byte what was sent.
    const kept = parseStoredAcknowledgement(await ns.redis.get(`${ns.namespace}:ack:${spoofId}`));
    expect(Buffer.from(kept?.base64 ?? "", "base64").equals(Buffer.from(answer.data))).toBe(true);
    expect((await all("pipeline")).some((m) => m.headers["Carehub-Hub-Id"] === spoofId)).toBe(false);
  });

  it("answers an invalid OIOXML letter with an XCTL02 negative receipt", async () => {
    const { hubId: badLabId } = await fromGateway("lab", "bad-lab", badLabReport, "application/xml", "80901082504854");
    const rejected = await until(
      async () => (await eventsFor(badLabId)).find((e) => e.type === "rejected"),
      "the rejected event",
    );
    expect(
      rejected.type === "rejected" && rejected.issues.some((i) => i.code.startsWith("CAREHUB_ERR_OIOXML_GLN")),
    ).toBe(true);
    const nackId = negativeAckIds(badLabId).hubId;
    const receipt = await until(
      async () => (await all("outbox")).find((m) => m.headers["Carehub-Hub-Id"] === nackId),
      "the receipt",
    );
    expect(receipt.subject).toBe(`${ns.namespace}.outbox.lab`);
    const text = Buffer.from(receipt.data).toString("latin1");
    expect(text).toContain("<StatisticalCode>XCTL02</StatisticalCode>");
    expect(text).toContain("<OriginalLetterIdentifier>80901082504854</OriginalLetterIdentifier>");
    expect(text).toContain("<EANIdentifier>5790000120284</EANIdentifier>");
  });

  // The gateway reads the header alone (readMessageIdentity) and answers 202 with the hub id of that id. Catches an
  // intake that names the message by its full parse instead: a letter broken after its header has no id in the
  // full parse, so its rejection (and the sender's negative receipt) went under an INGRESS-position id the sender
  // was never told.
  it("rejects a letter broken after its header under the hub id the gateway answered with", async () => {
    // The lab report cut after its Letter header, under a letter id of its own (a later test sends the report).
    const text = labReport.toString("latin1").replace(/(<Letter>\s*<Identifier>)([^<]+)/, "$1$2-cut");
    const broken = Buffer.from(text.slice(0, text.indexOf("</Letter>") + "</Letter>".length), "latin1");
    const headerId = readMessageIdentity(broken, { contentType: "application/xml" }).messageId;
    expect(headerId).toMatch(/-cut$/);
    const parsed = parseMessage(broken, { contentType: "application/xml" });
    // The full parse cannot name it: without the header read, intake would fall back to the INGRESS position.
    expect(parsed.ok ? parsed.message.messageId : parsed.partial.messageId).toBeUndefined();
    const { hubId } = await fromGateway("lab", "broken-tail", broken, "application/xml", headerId);
    const rejected = await until(
      async () => (await eventsFor(hubId)).find((e) => e.type === "rejected"),
      "the rejected event under the gateway's hub id",
    );
    expect(rejected).toMatchObject({ stage: "intake", sourceEndpoint: "lab", messageId: headerId });
  });

  // The same for FHIR XML, whose header read (medcom-fhir's xml-head.ts, decision 0083) no longer converts the
  // whole document. Catches a FHIR XML header read that needs the rest of the bundle (the conversion reads nothing
  // from a cut one): the gateway would give it an INGRESS-position id, and intake reject it under that.
  it("rejects a FHIR XML bundle broken after its MessageHeader under the hub id the gateway answered with", async () => {
    const xml = serializeFhirXml(JSON.parse(homecare.toString("utf8")) as object).replaceAll(
      HOMECARE_ID,
      `${HOMECARE_ID}-xml-cut`,
    );
    const broken = Buffer.from(xml.slice(0, xml.indexOf("</MessageHeader>") + "</MessageHeader>".length));
    const headerId = readMessageIdentity(broken, { contentType: "application/fhir+xml" }).messageId;
    expect(headerId).toBe(`${HOMECARE_ID}-xml-cut`);
    const parsed = parseMessage(broken, { contentType: "application/fhir+xml" });
    expect(parsed.ok ? parsed.message.messageId : parsed.partial.messageId).toBeUndefined();
    const { hubId } = await fromGateway("acute-team", "broken-fhir-xml", broken, "application/fhir+xml", headerId);
    const rejected = await until(
      async () => (await eventsFor(hubId)).find((e) => e.type === "rejected"),
      "the rejected event under the gateway's hub id",
    );
    expect(rejected).toMatchObject({ stage: "intake", sourceEndpoint: "acute-team", messageId: headerId });
  });

  it("cannot answer bytes in no known format: rejected, dead-lettered, kept in INGRESS", async () => {
    const published = await fromGateway(
      "practice",
      "hub-garbage",
      Buffer.from("%PDF-1.4 not medcom"),
      "application/xml",
    );
    const types = await until(async () => {
      const found = (await eventsFor(published.hubId)).map((e) => e.type);
      return found.includes("dead-lettered") ? found : undefined;
    }, "the dead-lettered event");
    expect(types).toEqual(["received", "rejected", "dead-lettered"]);
    const dead = (await all("dlq")).find((m) => m.headers["Carehub-Original-Seq"] === String(published.seq));
    expect(dead?.headers).toMatchObject({
      "Carehub-Error-Code": "CAREHUB_ERR_INTAKE_UNANSWERABLE",
      "Carehub-Stage": "intake",
    });
    expect(await ns.bus.getMessage(ns.bus.topology.streams.ingress, published.seq)).not.toBeNull();
    expect(
      (await all("outbox")).some(
        (m) => m.subject.endsWith(".practice") && m.headers["Carehub-Hub-Id"] === negativeAckIds(published.hubId).hubId,
      ),
    ).toBe(false);
  });

  it("never answers an acknowledgement, even an invalid one (MedCom KR2)", async () => {
    const { hubId: badAckId } = await fromGateway("klamer", "bad-ack", ack, "application/fhir+json", ACK_ID);
    const rejected = await until(
      async () => (await eventsFor(badAckId)).find((e) => e.type === "rejected"),
      "the rejected event",
    );
    expect(rejected.type).toBe("rejected");
    await until(
      async () =>
        (await ns.redis.hget(
          ledgerKeys(ns.namespace).firstCopy("klamer", rejected.messageId ?? ""),
          ledgerKeys(ns.namespace).firstCopyField,
        ))
          ? true
          : undefined,
      "the claim",
    );
    expect((await all("outbox")).some((m) => m.headers["Carehub-Hub-Id"] === negativeAckIds(badAckId).hubId)).toBe(
      false,
    );
  });

  // Issue 9: an endpoint with NATS credentials published a message without a readable id under a victim's hub
  // id; intake kept the header's id and the victim's delivered message showed rejected and dead-lettered.
  it("never takes a hub id from a header an endpoint sets when publishing on NATS itself", async () => {
    const victimId = messageHubId(ns.namespace, "acute-team", "c0ffee00-0000-4000-8000-000000000001");
    const forgedHeaders = { "Carehub-Hub-Id": victimId, "Carehub-Source-Endpoint": "lab" };
    const unreadable = await ns.bus.publish(ns.bus.topology.subjects.ingress("lab"), Buffer.from("%PDF-1.4 x"), {
      msgId: "forged-unreadable",
      contentType: "application/xml",
      headers: forgedHeaders,
    });
    const readableId = "489de4f2-0d8d-4de2-a7ce-00000000f0f0";
    await ns.bus.publish(
      ns.bus.topology.subjects.ingress("lab"),
      Buffer.from(homecare.toString().replaceAll(HOMECARE_ID, readableId)),
      { msgId: "forged-readable", contentType: "application/fhir+json", headers: forgedHeaders },
    );
    const unreadableId = ingressHubId(unreadable.stream, unreadable.seq);
    await until(
      async () => ((await eventsFor(unreadableId)).some((e) => e.type === "dead-lettered") ? true : undefined),
      "the unreadable one dead-lettered under its INGRESS id",
    );
    const readableHubId = messageHubId(ns.namespace, "lab", readableId);
    await until(
      async () => ((await eventsFor(readableHubId)).some((e) => e.type === "rejected") ? true : undefined),
      "the readable one rejected under its own id",
    );
    expect(await eventsFor(victimId)).toEqual([]);
  });

  it("takes a message an endpoint published on NATS itself under the id the gateway would give it, and drops its repeat", async () => {
    const first = await ns.bus.publish(ns.bus.topology.subjects.ingress("lab"), labReport, {
      msgId: "lab-direct-1",
      contentType: "application/xml",
    });
    const second = await ns.bus.publish(ns.bus.topology.subjects.ingress("lab"), labReport, {
      msgId: "lab-direct-2",
      contentType: "application/xml",
    });
    const parsed = parseMessage(labReport);
    const hubId = messageHubId(ns.namespace, "lab", parsed.ok ? parsed.message.messageId : "");
    const duplicate = await until(
      async () => (await eventsFor(hubId)).find((e) => e.type === "duplicate"),
      "the duplicate event",
    );
    expect(duplicate).toMatchObject({
      eventId: `${hubId}:duplicate:${second.seq}`,
      originalHubId: hubId,
      sourceEndpoint: "lab",
    });
    const envelopes = (await all("pipeline")).filter((m) => m.subject.endsWith(".lab-result"));
    expect(envelopes.map((m) => m.headers["Carehub-Hub-Id"])).toEqual([hubId]);
    expect(JSON.parse(Buffer.from(envelopes[0]?.data ?? []).toString()).payload.seq).toBe(first.seq);
  });

  // The publish window (KeyedOrder, one key per sender): a sender's next message goes once the previous one has sent its PIPELINE
  // publish, not once it is acknowledged. Catches a window that lets a sender's messages publish in the order their
  // work happens to finish (a correction overtaking its original): a backlog of one sender must reach PIPELINE in
  // INGRESS order, while another sender's messages interleave freely.
  it("puts a sender's backlog on PIPELINE in INGRESS order with several publishes in flight", async () => {
    const count = 40;
    const ids = Array.from(
      { length: count },
      (_, i) => `489de4f2-0d8d-4de2-a7ce-0000${String(i).padStart(4, "0")}be01`,
    );
    const stored = await Promise.all(
      ids.map((messageId) =>
        fromGateway(
          "acute-team",
          `window-${messageId}`,
          Buffer.from(homecare.toString().replaceAll(HOMECARE_ID, messageId)),
          "application/fhir+json",
          messageId,
        ),
      ),
    );
    const ingressOrder = [...stored].sort((a, b) => a.seq - b.seq).map((s) => s.hubId);
    const wanted = new Set(ingressOrder);
    const pipelineOrder = await until(async () => {
      const found = (await all("pipeline"))
        .map((m) => m.headers["Carehub-Hub-Id"])
        .filter((id) => wanted.has(id ?? ""));
      return found.length === count ? found : undefined;
    }, "the whole backlog on PIPELINE");
    expect(pipelineOrder).toEqual(ingressOrder);
  });

  describe("messages the hub makes itself (status returns on <ns>.ingress.<hub id>)", () => {
    const hub = registryConfig.hub;
    const statusUpdate = (messageId: string, sender: { sor: string; gln: string }) =>
      Buffer.from(
        buildStatusUpdate({
          ids: { bundleId: `b-${messageId}`, messageHeaderId: messageId },
          now: "2026-03-02T09:00:00Z",
          sender: { ...sender, name: "sender" },
          receiver: { sor: "52581000016005", gln: "5790000127092", name: "practice" },
          subject: { type: "referral", id: `REF-${messageId}` },
          status: "completed",
          occurredAt: "2026-03-02T08:30:00Z",
        }).json,
      );

    it("accepts a status update from the hub: envelope on PIPELINE, its message id claimed under the hub's id", async () => {
      const messageId = "5d1c0e52-0000-4000-8000-00000000a001";
      const { hubId } = await fromGateway(
        hub.id,
        "hub-status",
        statusUpdate(messageId, hub),
        "application/fhir+json",
        messageId,
      );
      const stored = await until(
        async () => (await all("pipeline")).find((m) => m.headers["Carehub-Hub-Id"] === hubId),
        "the envelope",
      );
      expect(stored.headers["Carehub-Source-Endpoint"]).toBe(hub.id);
      expect(JSON.parse(Buffer.from(stored.data).toString())).toMatchObject({
        kind: "status-update",
        sourceEndpoint: hub.id,
        sender: { sor: hub.sor, gln: hub.gln },
      });
      // The receiver's acknowledgement of it is matched through this key (router: ack addressed to the hub).
      const keys = ledgerKeys(ns.namespace);
      const claimed = await ns.redis.hget(keys.firstCopy(hub.id, messageId), keys.firstCopyField);
      expect(parseFirstCopy(claimed, ledgerKeys(ns.namespace).derivedHubId(hub.id, messageId))?.hubId).toBe(hubId);
      expect(await eventsFor(hubId)).toEqual([]);
    });

    it("dead-letters a hub-subject message that names an endpoint as its sender, and answers nobody", async () => {
      const messageId = "5d1c0e52-0000-4000-8000-00000000a002";
      const practiceParty = { sor: "52581000016005", gln: "5790000127092" };
      const published = await fromGateway(
        hub.id,
        "hub-spoof",
        statusUpdate(messageId, practiceParty),
        "application/fhir+json",
        messageId,
      );
      const types = await until(async () => {
        const found = (await eventsFor(published.hubId)).map((e) => e.type);
        return found.includes("dead-lettered") ? found : undefined;
      }, "the dead-lettered event");
      expect(types).toEqual(["received", "rejected", "dead-lettered"]);
      const rejected = (await eventsFor(published.hubId)).find((e) => e.type === "rejected");
      expect(rejected?.type === "rejected" && rejected.issues.map((i) => i.code)).toEqual([
        "CAREHUB_ERR_INTAKE_SENDER_MISMATCH",
      ]);
      const dead = (await all("dlq")).find((m) => m.headers["Carehub-Original-Seq"] === String(published.seq));
      expect(dead?.headers["Carehub-Error-Code"]).toBe("CAREHUB_ERR_INTAKE_HUB_MESSAGE_REJECTED");
      expect(
        (await all("outbox")).some((m) => m.headers["Carehub-Hub-Id"] === negativeAckIds(published.hubId).hubId),
      ).toBe(false);
      expect((await all("pipeline")).some((m) => m.headers["Carehub-Hub-Id"] === published.hubId)).toBe(false);
    });
  });

  describe("repeats past JetStream's duplicate window (only the ledger still knows the first copy)", () => {
    const ELEVEN_MINUTES = 11 * 60_000;
    /** PIPELINE made anew holds no dedup ids (as 10 minutes later); intake's clock moves 11 minutes on. */
    async function pastTheDuplicateWindow(): Promise<void> {
      await ns.bus.jsm.streams.delete(ns.bus.topology.streams.pipeline);
      await ns.bus.provision();
      now = new Date(now.getTime() + ELEVEN_MINUTES);
    }
    const copyOf = (messageId: string, bundleId: string) =>
      Buffer.from(
        homecare
          .toString()
          .replaceAll(HOMECARE_ID, messageId)
          .replace("401cbc36-db1e-4fe0-bf90-6df331dde179", bundleId),
      );
    const publishOnNats = (source: string, bytes: Uint8Array, msgId: string) =>
      ns.bus.publish(ns.bus.topology.subjects.ingress(source), bytes, { msgId, contentType: "application/fhir+json" });

    // Catches a removed ledger claim: the late copy would go to PIPELINE again and reach the receiver twice.
    it("recognises a later copy (another Bundle.id) and does not deliver it again", async () => {
      const messageId = "489de4f2-0d8d-4de2-a7ce-0000000a7e01";
      const hubId = messageHubId(ns.namespace, "acute-team", messageId);
      await publishOnNats("acute-team", copyOf(messageId, "401cbc36-db1e-4fe0-bf90-00000000b001"), "late-1");
      await until(
        async () => ((await all("pipeline")).some((m) => m.headers["Carehub-Hub-Id"] === hubId) ? true : undefined),
        "the first copy's envelope",
      );
      await pastTheDuplicateWindow();
      const later = await publishOnNats(
        "acute-team",
        copyOf(messageId, "401cbc36-db1e-4fe0-bf90-00000000b002"),
        "late-2",
      );
      await until(
        async () => (await eventsFor(hubId)).find((e) => e.eventId === `${hubId}:duplicate:${later.seq}`),
        "the later copy recognised as a repeat",
      );
      expect((await all("pipeline")).some((m) => m.headers["Carehub-Hub-Id"] === hubId)).toBe(false);
    });

    // Catches a removed ledger claim (the late copy would be answered with the first answer's ids, which the
    // OUTBOX and every receiver drop) and a resend of the stored bytes (the same Bundle.id again).
    it("answers a later copy with the first copy's outcome under a new Bundle.id and timestamp", async () => {
      const messageId = "489de4f2-0d8d-4de2-a7ce-0000000a7e02";
      const hubId = messageHubId(ns.namespace, "practice", messageId);
      // The practice sends the acute team's message as its own: rejected, fatal-error to the practice.
      await publishOnNats("practice", copyOf(messageId, "401cbc36-db1e-4fe0-bf90-00000000b003"), "late-3");
      const toPractice = async () => (await all("outbox")).filter((m) => m.subject.endsWith(".outbox.practice"));
      const first = await until(
        async () => (await toPractice()).find((m) => m.headers["Carehub-Hub-Id"] === negativeAckIds(hubId).hubId),
        "the first answer",
      );
      const answered = (await toPractice()).length;
      await pastTheDuplicateWindow();
      await publishOnNats("practice", copyOf(messageId, "401cbc36-db1e-4fe0-bf90-00000000b004"), "late-4");
      const again = await until(async () => (await toPractice())[answered], "the answer to the later copy");
      const parse = (bytes: Uint8Array) => {
        const result = parseMessage(bytes, { contentType: "application/fhir+json" });
        if (!result.ok) throw new Error(JSON.stringify(result.issues.slice(0, 2)));
        return result.message;
      };
      const [firstAnswer, laterAnswer] = [parse(first.data), parse(again.data)];
      expect(laterAnswer.content).toEqual(firstAnswer.content);
      expect(laterAnswer.content).toMatchObject({ code: "fatal-error", respondsTo: messageId });
      expect(laterAnswer.envelopeId).not.toBe(firstAnswer.envelopeId);
      expect(laterAnswer.messageId).not.toBe(firstAnswer.messageId);
      expect(laterAnswer.sentAt).toBe(now.toISOString());
      expect(again.headers["Carehub-Hub-Id"]).not.toBe(first.headers["Carehub-Hub-Id"]);
      expect((await eventsFor(hubId)).filter((e) => e.type === "rejected")).toHaveLength(1);
    });
  });
});

/**
 * The real Redis, where every third claim (the ledger's first-copy script) takes one round trip more: a PING goes
 * first, as when Redis answers one message's claim later than the next one's. The commands themselves are unchanged.
 * `claims` counts the claims sent and not yet answered, and the most at once.
 */
function everyThirdClaimLater(redis: Redis, claims = { sent: 0, open: 0, mostOpen: 0 }): Redis {
  return new Proxy(redis, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== FIRST_COPY_COMMAND) return typeof value === "function" ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        claims.open++;
        claims.mostOpen = Math.max(claims.mostOpen, claims.open);
        try {
          if (claims.sent++ % 3 === 0) await target.ping();
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          claims.open--;
        }
      };
    },
  });
}

// A backlog in hand (the catch-up case): INGRESS holds both senders' messages before intake starts, so as many
// messages as the concurrency allows are taken at once, several of each sender, and some claims are answered
// later than the next message's. Catches intake's sender lanes switched off or bypassed at a higher concurrency:
// a sender's messages, handled side by side, reach PIPELINE in the order their work happens to finish (so a
// correction could overtake its original on the way to the router).
describe.each([DEFAULT_INTAKE_OPTIONS.concurrency, 64])(
  "intake with %i messages in hand and a backlog",
  (concurrency) => {
    let ns: TestNamespace;
    let intake: RunningIntake | undefined;
    beforeAll(async () => {
      ns = await openTestNamespace("intake-backlog");
    });
    afterAll(async () => {
      await intake?.stop();
      await ns?.close();
    });

    it("puts each sender's messages on PIPELINE in its INGRESS order", async () => {
      const perSender = 60;
      for (let i = 0; i < perSender; i++) {
        // Lab letters and FHIR observations alternate on INGRESS.
        const letter = labReport.toString("latin1").replace("80901082504859", `80901082${String(i).padStart(6, "0")}`);
        await ns.bus.publish(ns.bus.topology.subjects.ingress("lab"), Buffer.from(letter, "latin1"), {
          msgId: `lab-${i}`,
          contentType: "application/xml",
        });
        const homecareId = `489de4f2-0d8d-4de2-a7ce-0000${String(i).padStart(4, "0")}ba01`;
        await ns.bus.publish(
          ns.bus.topology.subjects.ingress("acute-team"),
          Buffer.from(homecare.toString().replaceAll(HOMECARE_ID, homecareId)),
          { msgId: `acute-${i}`, contentType: "application/fhir+json" },
        );
      }
      intake = await startIntake({
        bus: ns.bus,
        redis: everyThirdClaimLater(ns.redis),
        registry: EndpointRegistry.from(registryConfig),
        retentionDays: 1,
        concurrency,
      });
      const pipeline = ns.bus.topology.streams.pipeline;
      await waitFor(
        async () => (await ns.bus.jsm.streams.info(pipeline)).state.messages === 2 * perSender,
        "every message's envelope on PIPELINE",
      );
      const order = new Map<string, number[]>();
      for (let seq = 1; seq <= 2 * perSender; seq++) {
        const stored = await ns.bus.getMessage(pipeline, seq);
        const envelope = JSON.parse(Buffer.from(stored?.data ?? []).toString()) as Envelope;
        order.set(envelope.sourceEndpoint, [...(order.get(envelope.sourceEndpoint) ?? []), envelope.payload.seq]);
      }
      for (const sender of ["lab", "acute-team"]) {
        const seqs = order.get(sender) ?? [];
        expect(seqs).toHaveLength(perSender);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
    });
  },
);

/**
 * A namespace of its own whose INGRESS a test fills before it starts intake (so that the backlog is in hand at
 * once); intake is stopped and the namespace closed after the describe.
 */
function backlogNamespace(name: string) {
  const state: { ns?: TestNamespace; intake?: RunningIntake } = {};
  beforeAll(async () => {
    state.ns = await openTestNamespace(name);
  });
  afterAll(async () => {
    await state.intake?.stop();
    await state.ns?.close();
  });
  const namespace = () => {
    if (state.ns === undefined) throw new Error("namespace not open");
    return state.ns;
  };
  return {
    namespace,
    /** Stores bytes on the lab's INGRESS subject (as an endpoint on NATS does); returns where. */
    put: (bytes: Uint8Array, msgId: string) =>
      namespace().bus.publish(namespace().bus.topology.subjects.ingress("lab"), bytes, {
        msgId,
        contentType: "application/xml",
      }),
    /** The lab report under a letter id of its own, by `series` and `i`. */
    letter: (series: string, i: number) =>
      Buffer.from(
        labReport.toString("latin1").replace("80901082504859", `8090108${series}${String(i).padStart(6, "0")}`),
        "latin1",
      ),
    start: async (redis: Redis) => {
      state.intake = await startIntake({
        bus: namespace().bus,
        redis,
        registry: EndpointRegistry.from(registryConfig),
        retentionDays: 1,
      });
    },
    /** Once PIPELINE holds `count` envelopes: the INGRESS position of each, in PIPELINE order. */
    envelopeSeqs: async (count: number, timeoutMs?: number) => {
      const { bus } = namespace();
      const pipeline = bus.topology.streams.pipeline;
      await waitFor(
        async () => (await bus.jsm.streams.info(pipeline)).state.messages === count,
        "every letter's envelope on PIPELINE",
        timeoutMs,
      );
      const seqs: number[] = [];
      for (let seq = 1; seq <= count; seq++) {
        const envelope = JSON.parse(Buffer.from((await bus.getMessage(pipeline, seq))?.data ?? []).toString());
        seqs.push((envelope as Envelope).payload.seq);
      }
      return seqs;
    },
  };
}

// One sender's backlog in hand (a catch-up with few senders): each message is read and its claim sent as soon as the
// consumer hands it over, ahead of its turn, the rest of its handling still in INGRESS order (docs/decisions/0129).
// Catches the claim awaited inside the sender's turn again (one claim round trip per message per sender: never two
// claims of one sender open at once), and a read-ahead that lets two copies of one message in hand both through, or
// a claim answered later than the next one's reorder the envelopes. (Which copy is delivered follows the order the
// claims reach Redis: INGRESS order on the one connection; here the tenth claim is answered after the eleventh's.)
describe("intake with one sender's backlog in hand", () => {
  const backlog = backlogNamespace("intake-read-ahead");

  it("sends several claims at once, delivers one of two copies and keeps INGRESS order", async () => {
    const letters = 30;
    const stored: number[] = [];
    let copy = { first: 0, later: 0 };
    for (let i = 0; i < letters; i++) {
      const put = () => backlog.put(backlog.letter("3", i), `lab-${i}-${stored.length}`);
      stored.push((await put()).seq);
      // The tenth letter twice, back to back (an endpoint on NATS resending it): both copies are in hand at once.
      if (i === 9) {
        copy = { first: stored[stored.length - 1] ?? 0, later: (await put()).seq };
      }
    }
    const claims = { sent: 0, open: 0, mostOpen: 0 };
    const ns = backlog.namespace();
    await backlog.start(everyThirdClaimLater(ns.redis, claims));
    const seqs = await backlog.envelopeSeqs(letters);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const delivered = [copy.first, copy.later].filter((seq) => seqs.includes(seq));
    expect(delivered).toHaveLength(1);
    const dropped = delivered[0] === copy.first ? copy.later : copy.first;
    expect(seqs).toEqual(stored.map((seq) => (seq === copy.first ? delivered[0] : seq)));
    await waitFor(async () => {
      const last = (await ns.bus.jsm.streams.info(ns.bus.topology.streams.events)).state.last_seq;
      for (let seq = 1; seq <= last; seq++) {
        const event = JSON.parse(
          Buffer.from((await ns.bus.getMessage(ns.bus.topology.streams.events, seq))?.data ?? []).toString(),
        );
        if (event.type === "duplicate" && event.eventId.endsWith(`:duplicate:${dropped}`)) return true;
      }
      return false;
    }, "the other copy's duplicate event");
    expect(claims.sent).toBe(letters + 1);
    expect(claims.mostOpen).toBeGreaterThan(1);
  });
});

// A rejected letter and a repeat of it both in hand: the repeat's claim is sent ahead of its turn, before the first
// copy's turn has kept its negative receipt. Catches the repeat's answer read with its claim again (in the
// read-ahead): it found no answer kept yet, and the repeat went unanswered (docs/decisions/0129).
describe("intake with a rejected letter and its repeat in hand together", () => {
  const backlog = backlogNamespace("intake-repeat-in-hand");

  it("answers the repeat with the first copy's negative receipt, renewed", async () => {
    await backlog.put(badLabReport, "first");
    const repeat = await backlog.put(badLabReport, "repeat");
    const ns = backlog.namespace();
    await backlog.start(ns.redis);
    const firstHubId = messageHubId(ns.namespace, "lab", "80901082504854");
    const answers = [negativeAckIds(firstHubId).hubId, repeatAnswerIds(firstHubId, ingressCopy(repeat)).hubId];
    const outbox = ns.bus.topology.streams.outbox;
    const sent = await waitFor(async () => {
      const hubIds: string[] = [];
      const last = (await ns.bus.jsm.streams.info(outbox)).state.last_seq;
      for (let seq = 1; seq <= last; seq++) {
        const message = await ns.bus.getMessage(outbox, seq);
        if (message?.subject.endsWith(".outbox.lab")) hubIds.push(message.headers["Carehub-Hub-Id"] ?? "");
      }
      return answers.every((id) => hubIds.includes(id)) && hubIds;
    }, "both copies' answers on OUTBOX");
    expect(sent).toEqual(answers);
  });
});

/** The real Redis, where the claim numbered `failing` (from 0) fails at once, as when the connection drops. */
function oneClaimFails(redis: Redis, failing: number, claims = { sent: 0 }): Redis {
  return new Proxy(redis, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== FIRST_COPY_COMMAND) return typeof value === "function" ? value.bind(target) : value;
      return (...args: unknown[]) =>
        claims.sent++ === failing
          ? Promise.reject(new Error("connection lost"))
          : (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
    },
  });
}

// A claim sent ahead of its turn fails while the message before it is still claiming: its failure waits for the
// turn. Catches a read-ahead whose failure is not handled until the turn (the `catch` on the read-ahead dropped):
// Node reports an unhandled rejection (vitest fails the run), and the message must still be retried, not lost.
describe("intake with a backlog of one sender, one claim failing", () => {
  const backlog = backlogNamespace("intake-claim-fails");

  it("retries the message whose claim failed and delivers every envelope once, the others in INGRESS order", async () => {
    const letters = 12;
    const stored: number[] = [];
    for (let i = 0; i < letters; i++) stored.push((await backlog.put(backlog.letter("4", i), `lab-${i}`)).seq);
    const failing = 4;
    const claims = { sent: 0 };
    await backlog.start(oneClaimFails(backlog.namespace().redis, failing, claims));
    const seqs = await backlog.envelopeSeqs(letters, 20_000);
    const retried = stored[failing];
    expect([...seqs].sort((a, b) => a - b)).toEqual(stored);
    // A retried message comes back after the ones behind it (KeyedOrder: a failed task passes its turn).
    expect(seqs.filter((seq) => seq !== retried)).toEqual(stored.filter((seq) => seq !== retried));
    expect(claims.sent).toBe(letters + 1);
  });
});

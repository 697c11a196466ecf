import type { Follower, SenderOrder } from "@carehub/bus";
import { openTestNamespace, type TestNamespace, waitFor } from "@carehub/bus/testing";
import { readMessage } from "@carehub/formats";
import { messageHubId } from "@carehub/ledger";
import { buildLabReport, encodeXmlText } from "@carehub/medcom-xml";
import { EndpointRegistry, hashToken } from "@carehub/registry";
import type { RegistryConfigInput } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningIntake, startIntake } from "./start-intake.ts";

/**
 * Chaos finding 2 (docs/reliability.md): an intake killed while it holds an original gets it back only after the
 * INGRESS consumer's ack wait (30 s), while the correction the sender sent next, never delivered before, is handed
 * to the restarted intake (or another copy) at once. Sender lanes order one process's messages only; without the
 * ack-floor wait the correction reached PIPELINE — and so the router and the receiver — before its original.
 */
const endpoint = (id: string, kind: string, gln: string, sends: string[]) => ({
  id,
  name: id,
  kind,
  identifiers: { sor: [], gln: [gln] },
  sends,
  accepts: ["acknowledgement", "lab-result"],
  delivery: { mode: "nats" },
  auth: { tokenSha256: [hashToken(`token-${id}`)] },
});
const registry = EndpointRegistry.from({
  hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    endpoint("practice", "practice", "5790000127092", ["acknowledgement"]),
    endpoint("lab", "laboratory", "5790000120284", ["lab-result"]),
  ],
} as RegistryConfigInput);

/** A lab report from the lab to the practice; a `rettetbrev` corrects the earlier result of the same sample. */
function labReport(letterId: string, statusCode: "nytbrev" | "rettetbrev"): Uint8Array {
  const xml = buildLabReport({
    ids: { envelopeId: `9${letterId}`, letterId },
    now: new Date("2026-03-01T10:00:00.000Z"),
    statusCode,
    sender: { gln: "5790000120284" },
    receiver: { gln: "5790000127092" },
    patient: { cpr: "1212778221" },
    sample: { laboratorySampleId: "S1" },
    results: [
      {
        analysisCode: "NPU01807",
        status: statusCode === "rettetbrev" ? "svar_rettet" : "svar_endeligt",
        value: "5.5",
        unit: "mmol/l",
      },
    ],
  });
  return encodeXmlText(xml);
}

/** Puts a lab report on INGRESS as the gateway does; returns its hub id. */
async function labOnIngress(
  ns: TestNamespace,
  letterId: string,
  statusCode: "nytbrev" | "rettetbrev",
): Promise<{ hubId: string; seq: number }> {
  const hubId = messageHubId(ns.namespace, "lab", letterId);
  const { seq } = await ns.bus.publish(ns.bus.topology.subjects.ingress("lab"), labReport(letterId, statusCode), {
    msgId: hubId,
    contentType: "application/xml",
    headers: {
      "Carehub-Hub-Id": hubId,
      "Carehub-Source-Endpoint": "lab",
      "Carehub-Received-At": "2026-03-01T10:00:00.000Z",
    },
  });
  return { hubId, seq };
}

describe("a correction behind an original a crashed intake still holds", () => {
  let ns: TestNamespace;
  let intake: RunningIntake | undefined;
  /** Every look a waiting message took at the messages before it: its INGRESS sequence and the answer. */
  const looks: { seq: number; settled: boolean }[] = [];
  const options = () => ({
    bus: ns.bus,
    redis: ns.redis,
    registry,
    retentionDays: 1,
    wrapOrder: (order: SenderOrder) => ({
      earlierOfSenderSettled: async (follower: Follower) => {
        const settled = await order.earlierOfSenderSettled(follower);
        looks.push({ seq: follower.seq, settled });
        return settled;
      },
      waiting: (follower: Follower) => order.waiting(follower),
    }),
  });

  beforeAll(async () => {
    ns = await openTestNamespace("intake-order");
    // Creates the durable consumer, so that the test can take a message from it as a crashed intake would have.
    await (await startIntake(options())).stop();
  });
  afterAll(async () => {
    await intake?.stop();
    await ns?.close();
  });

  const fromLab = (letterId: string, statusCode: "nytbrev" | "rettetbrev") => labOnIngress(ns, letterId, statusCode);

  /** The hub ids on PIPELINE, in stream order. */
  async function pipelineOrder(): Promise<string[]> {
    const stream = ns.bus.topology.streams.pipeline;
    const last = (await ns.bus.jsm.streams.info(stream)).state.last_seq;
    const ids: string[] = [];
    for (let seq = 1; seq <= last; seq++) {
      const message = await ns.bus.getMessage(stream, seq);
      const id = message?.headers["Carehub-Hub-Id"];
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  it("puts the correction on PIPELINE only after its original (OIOXML rettetbrev)", async () => {
    const original = await fromLab("100001", "nytbrev");
    const consumer = await ns.bus.js.consumers.get(ns.bus.topology.streams.ingress, "intake");
    // An intake took the original and died: nobody acks it, JetStream gives it back only after the ack wait.
    const held = await consumer.next({ expires: 5_000 });
    expect(held?.headers?.get("Carehub-Hub-Id")).toBe(original.hubId);
    const correction = await fromLab("100002", "rettetbrev");

    intake = await startIntake(options());
    // The restarted intake has found the original unfinished, twice (it waits); without the wait it never looks.
    await waitFor(
      async () => looks.filter((l) => l.seq === correction.seq && !l.settled).length >= 2,
      "the correction waiting",
    );
    expect(await pipelineOrder()).toEqual([]);

    held?.nak(); // the original comes back (as after the ack wait)
    await waitFor(async () => (await pipelineOrder()).includes(correction.hubId), "the correction on PIPELINE");
    expect(await pipelineOrder()).toEqual([original.hubId, correction.hubId]);
  });
});

/*
 * Review of 0120: intake's lanes hand KeyedOrder `message.working()`, so a message waiting in its sender's lane behind
 * a slow one is not redelivered while it waits (its copy would queue in the same lane behind itself and be handled
 * again). The slow one here is a correction whose look at its sender's earlier messages hangs (a slow Redis).
 */
describe("a message waiting in its sender's lane past the ack wait", () => {
  // 3 s (notices every second): a CI machine's stall of the event loop must not pass for a missing notice.
  const ackWaitMs = 3_000;
  let ns: TestNamespace;
  let intake: RunningIntake | undefined;
  beforeAll(async () => {
    ns = await openTestNamespace("intake-lane");
  });
  afterAll(async () => {
    await intake?.stop();
    await ns?.close();
  });

  // Catches: intake's lanes not given the message's `working()` (the notice wiring removed): the waiting message
  // is redelivered after the ack wait and read a second time.
  it("is not redelivered while it waits", async () => {
    const waiting = labReport("200003", "nytbrev");
    let reads = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let looked: () => void = () => {};
    const lookStarted = new Promise<void>((resolve) => {
      looked = resolve;
    });
    let looks = 0;
    intake = await startIntake({
      bus: ns.bus,
      redis: ns.redis,
      registry,
      retentionDays: 1,
      ackWaitMs,
      read: (bytes, options) => {
        if (Buffer.from(bytes).equals(Buffer.from(waiting))) reads++;
        return readMessage(bytes, options);
      },
      wrapOrder: (order: SenderOrder) => ({
        earlierOfSenderSettled: async (follower: Follower) => {
          if (looks++ === 0) {
            looked();
            await held; // the correction's first look hangs: it holds its sender's lane
          }
          return order.earlierOfSenderSettled(follower);
        },
        waiting: (follower: Follower) => order.waiting(follower),
      }),
    });
    try {
      await labOnIngress(ns, "200001", "nytbrev");
      await labOnIngress(ns, "200002", "rettetbrev");
      await labOnIngress(ns, "200003", "nytbrev"); // the bytes of `waiting`
      await lookStarted;
      // The scenario, not a sync: the lane is held two ack waits (past the ack wait, within the notices' bound).
      setTimeout(release, 2 * ackWaitMs);
      await waitFor(
        async () => {
          const info = await ns.bus.jsm.consumers.info(ns.bus.topology.streams.ingress, "intake");
          return reads >= 1 && info.num_ack_pending === 0 && info.num_pending === 0;
        },
        "every message handled",
        20_000,
      );
      // Copies still in hand (a redelivery queued behind its own first delivery) finish before the stop returns.
      await intake.stop();
      intake = undefined;
    } finally {
      release();
    }
    expect(reads).toBe(1);
  }, 40_000);
});

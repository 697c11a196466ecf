import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { MessageLedger } from "@carehub/ledger";
import type { RecordedMessage } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Recording } from "./recording-file.ts";
import { replayRecording } from "./replay-command.ts";

/**
 * How `replayRecording` stores a recording on real NATS (no hub behind it: the read model is empty): in the
 * recording's order with many publishes in flight, and at the recorded pace × factor on an injected clock.
 */

let ns: TestNamespace;
let ledger: MessageLedger;

beforeAll(async () => {
  ns = await openTestNamespace("t-replay");
  ledger = new MessageLedger({ redis: ns.redis, namespace: ns.namespace, retentionDays: 1, hubEndpointId: "hub" });
});

afterAll(async () => {
  await ns?.close();
});

function message(seq: number, sender: string, atMs: number): RecordedMessage {
  return {
    seq,
    sender,
    receivedAt: new Date(atMs).toISOString(),
    storedAt: new Date(atMs).toISOString(),
    headers: { "Content-Type": "application/fhir+json" },
    bytes: Buffer.from(`{"n":${seq}}`).toString("base64"),
    messageId: `m-${seq}`,
    originalHubId: `h-${seq}`,
  };
}

const HEADER = {
  format: "carehub-recording",
  formatVersion: 1,
  recordedAt: "2026-01-01T00:00:00.000Z",
  selection: {},
  anonymised: false,
} as const;

async function ingressSince(firstSeq: number): Promise<Array<{ sender: string; n: number }>> {
  const stream = ns.bus.topology.streams.ingress;
  const last = (await ns.bus.jsm.streams.info(stream)).state.last_seq;
  const stored: Array<{ sender: string; n: number }> = [];
  for (let seq = firstSeq; seq <= last; seq++) {
    const found = await ns.bus.getMessage(stream, seq);
    if (found === null) continue;
    stored.push({
      sender: found.subject.split(".").at(-1) ?? "",
      n: (JSON.parse(Buffer.from(found.data).toString()) as { n: number }).n,
    });
  }
  return stored;
}

describe("replayRecording", () => {
  it("stores the messages in the recording's order, however many are in flight", async () => {
    const first = (await ns.bus.jsm.streams.info(ns.bus.topology.streams.ingress)).state.last_seq + 1;
    const senders = ["gp-1", "gp-2", "lab-1"];
    const messages = Array.from({ length: 300 }, (_, i) => message(i + 1, senders[i % 3] ?? "gp-1", 0));
    const recording: Recording = { header: HEADER, messages };
    const report = await replayRecording({ bus: ns.bus, ledger, lookup: async () => undefined }, recording, {
      window: 64,
      quietMs: 0,
    });
    expect(report.sent).toBe(300);
    expect(report.statuses).toEqual({ unknown: 300 });
    const stored = await ingressSince(first);
    expect(stored).toEqual(messages.map((m) => ({ sender: m.sender, n: m.seq })));
  });

  it("keeps the recorded pace, sped up by the factor", async () => {
    let clock = 1_000_000;
    const waits: number[] = [];
    const recording: Recording = {
      header: HEADER,
      messages: [message(1001, "gp-1", 0), message(1002, "gp-1", 10_000), message(1003, "gp-2", 30_000)],
    };
    await replayRecording(
      {
        bus: ns.bus,
        ledger,
        lookup: async () => undefined,
        now: () => clock,
        wait: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
      },
      recording,
      { pace: 10, quietMs: 0 },
    );
    // 10 s and 20 s apart in the recording: 1 s and 2 s apart at ten times the pace.
    expect(waits).toEqual([1_000, 2_000]);
  });

  it("takes the messages from the source only as the window has room (never the whole recording at once)", async () => {
    // Catches a replay that collects the source before publishing (Array.from / spreading the messages): all 2,000
    // would be taken before the first is stored.
    let taken = 0;
    let stored = 0;
    let mostHeld = 0;
    const messages = (async function* () {
      for (let i = 0; i < 2_000; i++) {
        taken++;
        mostHeld = Math.max(mostHeld, taken - stored);
        yield message(20_001 + i, "gp-3", 0);
      }
    })();
    const report = await replayRecording(
      { bus: ns.bus, ledger, lookup: async () => undefined },
      { header: HEADER, messages },
      { window: 32, compare: false, onStored: () => stored++ },
    );
    expect(report.sent).toBe(2_000);
    expect(stored).toBe(2_000);
    // The window's 32 in flight and the one just taken.
    expect(mostHeld).toBeLessThanOrEqual(33);
    expect(mostHeld).toBeGreaterThan(1);
  });
});

import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { MessageLedger } from "@carehub/ledger";
import type { MessageLifecycle, RecordedMessage } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureRecording } from "./record-command.ts";

/**
 * How `captureRecording` reads INGRESS on real NATS while its outcome lookups overlap (no hub behind it: the lookup
 * is the test's, answering each hub id with a record naming that id, the later asked the sooner answered).
 */

let ns: TestNamespace;
let ledger: MessageLedger;
const COUNT = 100;

beforeAll(async () => {
  ns = await openTestNamespace("t-record");
  ledger = new MessageLedger({ redis: ns.redis, namespace: ns.namespace, retentionDays: 1, hubEndpointId: "hub" });
  for (let n = 0; n < COUNT; n++) {
    await ns.bus.publish(ns.bus.topology.subjects.ingress(`sender-${n % 3}`), `{"n":${n}}`, {
      msgId: `m-${n}`,
      contentType: "application/fhir+json",
      expectStream: ns.bus.topology.streams.ingress,
    });
  }
});

afterAll(async () => {
  await ns?.close();
});

/** Event-loop turns, not time: a later lookup is answered sooner than an earlier one in each run of eight. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("captureRecording", () => {
  it("writes the messages in INGRESS order, each with its own outcome, however its lookups overlap", async () => {
    let asked = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    const lookup = async (hubId: string): Promise<MessageLifecycle> => {
      const turn = 8 - (asked++ % 8);
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await turns(turn);
      inFlight--;
      return { status: "delivered", perReceiver: [{ endpoint: hubId, status: "delivered" }] } as MessageLifecycle;
    };
    const written: RecordedMessage[] = [];
    const progress = await captureRecording({ bus: ns.bus, ledger, lookup }, {}, (m) => {
      written.push(m);
    });

    expect(progress.recorded).toBe(COUNT);
    // Catches writing each message as its lookup answers (completion order) rather than in INGRESS order.
    expect(written.map((m) => JSON.parse(Buffer.from(m.bytes, "base64").toString()).n)).toEqual(
      Array.from({ length: COUNT }, (_, n) => n),
    );
    // Catches an outcome paired with the wrong message when lookups overlap.
    for (const m of written) expect(Object.keys(m.outcome?.receivers ?? {})).toEqual([m.originalHubId]);
    // Catches a capture that looks outcomes up one at a time again (a round trip per message: hours at a million).
    expect(mostInFlight).toBeGreaterThan(1);
  });

  it("stops at the limit, however many lookups are ahead", async () => {
    const lookup = async (): Promise<undefined> => undefined;
    const written: RecordedMessage[] = [];
    const progress = await captureRecording({ bus: ns.bus, ledger, lookup }, { limit: 5 }, (m) => {
      written.push(m);
    });
    // Catches a limit counted on written messages only, which reads (and writes) up to a window more.
    expect(written.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.recorded).toBe(5);
  });

  it("fails on a failed lookup with its error, after writing every message before it, leaving no lookup behind", async () => {
    const failure = new Error("read model unavailable");
    let asked = 0;
    let inFlight = 0;
    const lookup = async (): Promise<undefined> => {
      const n = ++asked;
      // The tenth fails at once, while the capture still waits on the first; those after it fail later, while
      // the capture is already stopping.
      if (n === 10) throw failure;
      inFlight++;
      await turns(n < 10 ? 8 : 20);
      inFlight--;
      if (n > 10) throw failure;
      return undefined;
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const written: RecordedMessage[] = [];
    let inFlightAtEnd: number | undefined;
    try {
      const capture = captureRecording({ bus: ns.bus, ledger, lookup }, {}, (m) => {
        written.push(m);
      });
      await expect(
        capture.finally(() => {
          inFlightAtEnd = inFlight;
        }),
      ).rejects.toBe(failure);
      await turns(2);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    // Catches a capture that skips or writes past the failed message (a recording with a hole in it).
    expect(written.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Catches a failed lookup behind the one being written left unhandled (the CLI process dies on it).
    expect(unhandled).toEqual([]);
    // Catches a capture that returns while lookups read ahead still run against a connection the caller closes.
    expect(inFlightAtEnd).toBe(0);
  });
});

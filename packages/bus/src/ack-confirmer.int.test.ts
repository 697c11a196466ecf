import { sharedNatsUrl } from "@carehub/testkit";
import type { JsMsg } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AckConfirmer } from "./ack-confirmer.ts";

// The consumers' confirmed acks (ack-confirmer.ts) on a real connection. An ack sent to a subject nobody answers
// stands in for a confirmation that has not come yet; the sweep's interval (and, where named, the monotonic clock)
// is driven by fake timers, so nothing waits on wall time.
afterEach(() => {
  vi.useRealTimers();
});

describe("an ack confirmation", () => {
  it("times out on the monotonic clock: a wall-clock step does not fail acks still waiting", async () => {
    // Bug caught: sent-at and the sweep's limit on Date.now() — an NTP step forward reports every waiting ack as
    // unconfirmed (the publish acks' deadlines were moved to performance.now for the same reason, decision 0115).
    const nc = await connect({ servers: sharedNatsUrl(), name: "test-ack-confirmer-clock" });
    const unconfirmed: number[] = [];
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
    const confirmer = new AckConfirmer(nc, 60_000, (seq) => unconfirmed.push(seq));
    const wallClock = Date.now;
    try {
      confirmer.ack({ reply: `test.ack-confirmer.${process.pid}.nobody`, seq: 7 } as unknown as JsMsg);
      Date.now = () => wallClock() + 3_600_000;
      vi.advanceTimersByTime(5_000); // one sweep, five seconds on the monotonic clock
      expect(unconfirmed).toEqual([]);
      expect(confirmer.pending).toBe(1);
      vi.advanceTimersByTime(60_000); // the timeout passed on the monotonic clock: now it is reported
      expect(unconfirmed).toEqual([7]);
      expect(confirmer.pending).toBe(0);
    } finally {
      Date.now = wallClock;
      await confirmer.close();
      await nc.close();
    }
  });
});

import { describe, expect, it } from "vitest";
import { inSenderLanes } from "./sender-lanes.ts";

interface Job {
  sender: string;
  id: string;
  release: () => void;
  done: Promise<void>;
}

/** A job whose handling finishes when the test releases it, so the test decides every interleaving. */
function job(sender: string, id: string): Job {
  let release = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { sender, id, release, done };
}

function lanes(started: string[], finished: string[], fail: Set<string> = new Set()) {
  return inSenderLanes<Job>(
    (j) => j.sender,
    async (j) => {
      started.push(j.id);
      await j.done;
      finished.push(j.id);
      if (fail.has(j.id)) throw new Error(`${j.id} failed`);
    },
  );
}

/** A handler as intake's: works, sends its publish and passes the turn, then waits for the publish's ack. */
function publishingLanes(sent: string[], acked: string[]) {
  return inSenderLanes<Job & { ack: Job }>(
    (j) => j.sender,
    async (j, turn) => {
      await j.done; // parse, claim: until the test releases it
      sent.push(j.id);
      turn.passTurn();
      await j.ack.done; // JetStream's ack
      acked.push(j.id);
    },
  );
}

describe("intake sender lanes", () => {
  // Catches: messages of one sender handled at once (a correction overtaking its original on PIPELINE).
  it("starts a sender's next message only after its previous one is done", async () => {
    const started: string[] = [];
    const handle = lanes(started, []);
    const original = job("lab-1", "original");
    const correction = job("lab-1", "correction");
    const first = handle(original);
    const second = handle(correction);
    await Promise.resolve();
    expect(started).toEqual(["original"]);
    original.release();
    await first;
    correction.release();
    await second;
    expect(started).toEqual(["original", "correction"]);
  });

  // Catches: one lane for everyone (intake back to one message at a time, waiting on each round trip).
  it("handles different senders at the same time", async () => {
    const started: string[] = [];
    const handle = lanes(started, []);
    const slow = job("lab-1", "slow");
    const other = job("gp-1", "other");
    const first = handle(slow);
    const second = handle(other);
    await Promise.resolve();
    expect(started).toEqual(["slow", "other"]);
    other.release();
    await second;
    slow.release();
    await first;
  });

  // Catches: a failed message blocking its sender's lane for good (every later message stuck until ack-wait).
  it("lets the next message of a sender go when the previous one failed", async () => {
    const started: string[] = [];
    const handle = lanes(started, [], new Set(["bad"]));
    const bad = job("lab-1", "bad");
    const next = job("lab-1", "next");
    const first = handle(bad);
    const second = handle(next);
    bad.release();
    await expect(first).rejects.toThrow("bad failed");
    next.release();
    await second;
    expect(started).toEqual(["bad", "next"]);
  });

  // The publish window. Catches: a sender's next message held until the previous publish is acknowledged (one
  // round trip per message again), and a lane that lets the next message publish before the previous one has
  // sent its own (a correction overtaking its original on PIPELINE).
  it("lets a sender's next message go once the previous one has sent its publish, and keeps the sending order", async () => {
    const sent: string[] = [];
    const acked: string[] = [];
    const handle = publishingLanes(sent, acked);
    const original = { ...job("lab-1", "original"), ack: job("lab-1", "original-ack") };
    const correction = { ...job("lab-1", "correction"), ack: job("lab-1", "correction-ack") };
    const first = handle(original);
    const second = handle(correction);
    correction.release(); // the correction is ready first: it must still wait for the original to send
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);
    original.release();
    await new Promise((resolve) => setImmediate(resolve));
    // Both sent, in order, neither acknowledged yet: two publishes of one sender in flight.
    expect(sent).toEqual(["original", "correction"]);
    expect(acked).toEqual([]);
    correction.ack.release();
    await second;
    original.ack.release();
    await first;
    expect(acked).toEqual(["correction", "original"]);
  });
});

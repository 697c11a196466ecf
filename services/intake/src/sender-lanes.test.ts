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
});

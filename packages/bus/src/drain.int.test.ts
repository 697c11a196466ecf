import { sharedNatsUrl } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus, text, waitFor } from "../test/helpers.ts";
import { type Bus, connectBus, onShutdown } from "./index.ts";

let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
beforeAll(async () => {
  env = await testBus("drain");
  bus = env.bus;
});
afterAll(() => env.cleanup());

describe("drain", () => {
  it("lets in-flight handlers finish and ack, hands buffered messages back at once, and loses none", async () => {
    const total = 60;
    for (let i = 0; i < total; i++)
      await bus.publish(bus.topology.subjects.outbox("slow"), `m-${i}`, { msgId: `d-${i}` });

    // A second bus plays the service that gets SIGTERM.
    const worker = await connectBus({ servers: sharedNatsUrl(), name: "drain-worker", namespace: env.namespace });
    const finished: string[] = [];
    let started = 0;
    const spec = {
      stream: bus.topology.streams.outbox,
      durable: "slow",
      stage: "slow",
      ackWaitMs: 30_000, // long: anything recovered below came back by nak, not by an ack timeout
      concurrency: 3,
      batch: 20,
    };
    await worker.consume({
      ...spec,
      handler: async (message) => {
        started++;
        await new Promise((resolve) => setTimeout(resolve, 150));
        finished.push(text(message.data));
      },
    });
    await waitFor("handlers running", () => started >= 3);
    const startedAtDrain = started;
    const drainedAt = Date.now();
    await worker.drain();
    expect(worker.nc.isClosed()).toBe(true);
    // Every handler that had started finished before drain returned.
    expect(finished.length).toBe(started);
    expect(finished.length).toBeGreaterThanOrEqual(startedAtDrain);

    const rest: string[] = [];
    const consumer = await bus.consume({ ...spec, handler: async (message) => void rest.push(text(message.data)) });
    await waitFor("the rest", () => finished.length + rest.length >= total, 8_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a wrong extra delivery to show up
    await consumer.stop();
    // Recovered by the hand-back nak within seconds, not after the 30 s ack wait; each exactly once.
    expect(Date.now() - drainedAt).toBeLessThan(10_000);
    expect([...finished, ...rest].sort()).toEqual(Array.from({ length: total }, (_, i) => `m-${i}`).sort());
    const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, "slow");
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });
});

describe("onShutdown", () => {
  it("runs the drain once on the first signal, then exits 0", async () => {
    const exits: number[] = [];
    let drains = 0;
    const remove = onShutdown(["SIGUSR2"], async () => void drains++, { exit: (code) => exits.push(code) });
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      await waitFor("exit", () => exits.length === 1);
      expect(drains).toBe(1);
      expect(exits).toEqual([0]);
    } finally {
      remove();
    }
  });

  it("exits 1 when the drain fails", async () => {
    const exits: number[] = [];
    const remove = onShutdown(
      ["SIGUSR2"],
      async () => {
        throw new Error("broken");
      },
      { exit: (code) => exits.push(code) },
    );
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      await waitFor("exit", () => exits.length === 1);
      expect(exits).toEqual([1]);
    } finally {
      remove();
    }
  });
});

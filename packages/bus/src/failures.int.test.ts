import { createLogger } from "@carehub/observability";
import { PermanentError, RetryableError } from "@carehub/schemas";
import { sharedNatsUrl } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus, text, waitFor } from "../test/helpers.ts";
import { type Bus, connectBus, HEADER, type RunningConsumer, type StoredMessage } from "./index.ts";

let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
const running: RunningConsumer[] = [];
beforeAll(async () => {
  env = await testBus("fail");
  bus = env.bus;
});
afterAll(async () => {
  for (const c of running) await c.stop();
  await env.cleanup();
});

/** Dead letters of one stage, oldest first. */
async function deadLetters(stage: string): Promise<StoredMessage[]> {
  const found: StoredMessage[] = [];
  const state = (await bus.jsm.streams.info(bus.topology.streams.dlq)).state;
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await bus.getMessage(bus.topology.streams.dlq, seq).catch(() => null);
    if (m && m.subject === bus.topology.subjects.dlq(stage)) found.push(m);
  }
  return found;
}

// Each test uses its own OUTBOX subject + durable so they do not see each other's messages.
async function consumeOutbox(
  endpoint: string,
  handler: Parameters<Bus["consume"]>[0]["handler"],
  extra: Partial<Parameters<Bus["consume"]>[0]> = {},
): Promise<RunningConsumer> {
  const consumer = await bus.consume({
    stream: bus.topology.streams.outbox,
    durable: endpoint,
    filterSubject: bus.topology.subjects.outbox(endpoint),
    stage: endpoint,
    handler,
    ...extra,
  });
  running.push(consumer);
  return consumer;
}

describe("a retryable error", () => {
  it("is redelivered after the backoff delay, and succeeds later", async () => {
    const times: number[] = [];
    await consumeOutbox(
      "retry-ok",
      async () => {
        times.push(Date.now());
        if (times.length < 3) throw new RetryableError("CAREHUB_ERR_TEST_DOWN", "endpoint down");
      },
      { backoffMs: [400, 800] },
    );
    await bus.publish(bus.topology.subjects.outbox("retry-ok"), "m", { msgId: "r-1" });
    await waitFor("three deliveries", () => times.length === 3);
    const [t1 = 0, t2 = 0, t3 = 0] = times;
    // ±20% jitter below; above, room for a busy machine, yet far under the 30 s ack wait a lost nak would cost.
    expect(t2 - t1).toBeGreaterThanOrEqual(300);
    expect(t2 - t1).toBeLessThan(8_000);
    expect(t3 - t2).toBeGreaterThanOrEqual(600);
    expect(t3 - t2).toBeLessThan(8_000);
    expect(await deadLetters("retry-ok")).toHaveLength(0);
  });

  it("waits exactly retryInMs when the error carries one", async () => {
    const times: number[] = [];
    await consumeOutbox(
      "retry-in",
      async () => {
        times.push(Date.now());
        if (times.length === 1)
          throw Object.assign(new RetryableError("CAREHUB_ERR_TEST_WAIT", "circuit open"), { retryInMs: 700 });
      },
      { backoffMs: [5] },
    );
    await bus.publish(bus.topology.subjects.outbox("retry-in"), "m", { msgId: "ri-1" });
    await waitFor("two deliveries", () => times.length === 2);
    const [t1 = 0, t2 = 0] = times;
    expect(t2 - t1).toBeGreaterThanOrEqual(650);
  });

  it("logs a planned wait (retryInMs) at debug and an unplanned retryable failure at warn", async () => {
    const lines: Array<{ level: number; msg: string; code?: string; retryInMs?: number }> = [];
    const logger = createLogger({
      name: "bus-log-test",
      level: "debug",
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    const logged = await connectBus({
      servers: sharedNatsUrl(),
      name: "bus-log-test",
      namespace: env.namespace,
      logger,
    });
    let consumer: RunningConsumer | undefined;
    try {
      let calls = 0;
      consumer = await logged.consume({
        stream: logged.topology.streams.outbox,
        durable: "log-levels",
        filterSubject: logged.topology.subjects.outbox("log-levels"),
        stage: "log-levels",
        backoffMs: [20],
        handler: async () => {
          calls++;
          if (calls === 1)
            throw Object.assign(new RetryableError("CAREHUB_ERR_TEST_WAIT", "circuit open"), { retryInMs: 30 });
          if (calls === 2) throw new RetryableError("CAREHUB_ERR_TEST_DOWN", "connection refused");
        },
      });
      await logged.publish(logged.topology.subjects.outbox("log-levels"), "m", { msgId: "ll-1" });
      await waitFor("handled on the third delivery", () => consumer?.processed === 1);
      const about = (code: string) => lines.filter((line) => line.code === code);
      expect(about("CAREHUB_ERR_TEST_WAIT")).toEqual([
        expect.objectContaining({ level: 20, msg: "waiting: circuit open", retryInMs: 30 }),
      ]);
      expect(about("CAREHUB_ERR_TEST_DOWN")).toEqual([
        expect.objectContaining({ level: 40, msg: "retrying: connection refused" }),
      ]);
    } finally {
      await consumer?.stop();
      await logged.drain();
    }
  });

  it("goes to the DLQ with its own code once maxDeliver deliveries failed", async () => {
    let calls = 0;
    const consumer = await consumeOutbox(
      "retry-dead",
      async () => {
        calls++;
        throw new RetryableError("CAREHUB_ERR_TEST_DOWN", "still down");
      },
      { maxDeliver: 3, backoffMs: [50] },
    );
    await bus.publish(bus.topology.subjects.outbox("retry-dead"), "payload", { msgId: "rd-1" });
    await waitFor("dead letter", async () => (await deadLetters("retry-dead")).length === 1);
    const [dead] = await deadLetters("retry-dead");
    expect(calls).toBe(3);
    expect(dead?.headers).toMatchObject({
      [HEADER.errorCode]: "CAREHUB_ERR_TEST_DOWN",
      [HEADER.attempts]: "3",
      [HEADER.stage]: "retry-dead",
      [HEADER.originalSubject]: bus.topology.subjects.outbox("retry-dead"),
    });
    await waitFor("processed", () => consumer.processed === 1);
  });
});

describe("a non-retryable error", () => {
  it("goes to the DLQ at once with the original bytes and headers and a CPR-free reason, and the original is terminated", async () => {
    const dlqSeen: string[] = [];
    let calls = 0;
    await consumeOutbox(
      "permanent",
      async () => {
        calls++;
        throw new PermanentError("CAREHUB_ERR_TEST_BAD", "bad content for patient 010190-1234");
      },
      { onDeadLetter: async (message, error) => void dlqSeen.push(`${message.seq}:${error.code}`) },
    );
    const published = await bus.publish(bus.topology.subjects.outbox("permanent"), "original bytes", {
      msgId: "p-1",
      headers: { [HEADER.hubId]: "hub-p-1" },
    });
    await waitFor("dead letter", async () => (await deadLetters("permanent")).length === 1);
    const [dead] = await deadLetters("permanent");
    expect(text(dead?.data ?? new Uint8Array())).toBe("original bytes");
    expect(dead?.headers).toMatchObject({
      [HEADER.msgId]: `${bus.topology.streams.outbox}:${published.seq}`,
      [HEADER.hubId]: "hub-p-1",
      [HEADER.errorCode]: "CAREHUB_ERR_TEST_BAD",
      [HEADER.errorMessage]: "bad content for patient [CPR]",
      [HEADER.stage]: "permanent",
      [HEADER.attempts]: "1",
      [HEADER.originalSubject]: bus.topology.subjects.outbox("permanent"),
      [HEADER.originalStream]: bus.topology.streams.outbox,
      [HEADER.originalSeq]: String(published.seq),
      [HEADER.originalMsgId]: "p-1",
    });
    await waitFor("onDeadLetter", () => dlqSeen.length === 1);
    expect(dlqSeen).toEqual([`${published.seq}:CAREHUB_ERR_TEST_BAD`]);
    const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, "permanent");
    expect(info.num_ack_pending).toBe(0);
    expect(calls).toBe(1);
  });

  it("an unknown Error and a decode failure are dead-lettered at once too", async () => {
    await consumeOutbox("bug", async () => {
      throw new TypeError("x is undefined");
    });
    await consumeOutbox("undecodable", async () => {}, {
      decode: () => {
        throw new SyntaxError("not JSON");
      },
    });
    await bus.publish(bus.topology.subjects.outbox("bug"), "m", { msgId: "b-1" });
    await bus.publish(bus.topology.subjects.outbox("undecodable"), "{", { msgId: "u-1" });
    await waitFor(
      "dead letters",
      async () => (await deadLetters("bug")).length + (await deadLetters("undecodable")).length === 2,
    );
    expect((await deadLetters("bug"))[0]?.headers[HEADER.errorCode]).toBe("CAREHUB_ERR_BUS_HANDLER_FAILED");
    expect((await deadLetters("bug"))[0]?.headers[HEADER.errorMessage]).toBe("TypeError: x is undefined");
    expect((await deadLetters("undecodable"))[0]?.headers[HEADER.errorCode]).toBe("CAREHUB_ERR_BUS_DECODE_FAILED");
  });

  it("a message whose handler never answers is dead-lettered after maxDeliver ack timeouts, not dropped", async () => {
    let release: () => void = () => {};
    const hang = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    await consumeOutbox(
      "hangs",
      async () => {
        calls++;
        await hang;
      },
      { maxDeliver: 2, ackWaitMs: 300, concurrency: 4 },
    );
    await bus.publish(bus.topology.subjects.outbox("hangs"), "m", { msgId: "h-1" });
    await waitFor("dead letter", async () => (await deadLetters("hangs")).length === 1);
    release();
    expect(calls).toBe(2);
    expect((await deadLetters("hangs"))[0]?.headers[HEADER.errorCode]).toBe("CAREHUB_ERR_BUS_MAX_DELIVERIES");
  });
});

describe("when dead-lettering itself fails", () => {
  it("an onDeadLetter that throws runs again, and the DLQ still holds the message once", async () => {
    let hookCalls = 0;
    await consumeOutbox(
      "hook-fails",
      async () => {
        throw new PermanentError("CAREHUB_ERR_TEST_BAD", "bad");
      },
      {
        backoffMs: [100],
        onDeadLetter: async () => {
          hookCalls++;
          if (hookCalls === 1) throw new Error("event store down");
        },
      },
    );
    await bus.publish(bus.topology.subjects.outbox("hook-fails"), "m", { msgId: "hf-1" });
    await waitFor("hook succeeded", () => hookCalls === 2);
    await waitFor(
      "acked",
      async () => (await bus.jsm.consumers.info(bus.topology.streams.outbox, "hook-fails")).num_ack_pending === 0,
    );
    expect(await deadLetters("hook-fails")).toHaveLength(1);
  });

  it("a message whose dead letter cannot be stored is handed back, and lands once the DLQ is there", async () => {
    await bus.jsm.streams.delete(bus.topology.streams.dlq);
    let calls = 0;
    await consumeOutbox(
      "no-dlq",
      async () => {
        calls++;
        throw new PermanentError("CAREHUB_ERR_TEST_BAD", "bad");
      },
      { backoffMs: [200] },
    );
    await bus.publish(bus.topology.subjects.outbox("no-dlq"), "kept", { msgId: "nd-1" });
    await waitFor("two attempts without a DLQ", () => calls >= 2);
    await bus.provision({ retention: { ingressMaxAgeMs: 3_600_000 } });
    await waitFor("dead letter", async () => (await deadLetters("no-dlq")).length === 1);
    expect(text((await deadLetters("no-dlq"))[0]?.data ?? new Uint8Array())).toBe("kept");
  });
});

describe("redrive", () => {
  it("moves a dead letter back to its original subject, where it is processed, and removes it from the DLQ", async () => {
    let healthy = false;
    const handled: string[] = [];
    await consumeOutbox("redrive-me", async (message) => {
      if (!healthy) throw new PermanentError("CAREHUB_ERR_TEST_BAD", "receiver unknown");
      handled.push(`${text(message.data)}|${message.headers[HEADER.redriveCount]}|${message.headers[HEADER.hubId]}`);
    });
    await bus.publish(bus.topology.subjects.outbox("redrive-me"), "again", {
      msgId: "rr-1",
      headers: { [HEADER.hubId]: "h" },
    });
    await bus.publish(bus.topology.subjects.outbox("redrive-me"), "skip", { msgId: "rr-2" });
    await waitFor("dead letters", async () => (await deadLetters("redrive-me")).length === 2);

    healthy = true;
    const result = await bus.redrive("redrive-me", { filter: (m) => text(m.data) === "again" });
    expect(result).toEqual({ redriven: 1 });
    await waitFor("redriven message processed", () => handled.length === 1);
    expect(handled).toEqual(["again|1|h"]);
    const left = await deadLetters("redrive-me");
    expect(left.map((m) => text(m.data))).toEqual(["skip"]);
    expect(await bus.redrive("redrive-me", { limit: 5 })).toEqual({ redriven: 1 });
    await waitFor("second processed", () => handled.length === 2);
    expect(await deadLetters("redrive-me")).toHaveLength(0);
  });
});

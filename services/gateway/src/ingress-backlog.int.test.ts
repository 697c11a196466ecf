import { INGRESS_CONSUMER } from "@carehub/bus";
import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IngressBacklog, watchIngressBacklog } from "./ingress-backlog.ts";

/**
 * The intake backlog as the gateway reads it, on real NATS: nothing while no intake consumer exists (no intake
 * ever ran: nothing to be behind, so the bound admits), then the intake consumer's undelivered and
 * unacknowledged INGRESS messages, following them down as they are acknowledged; what the gateway admits between
 * two readings counts until the next one.
 */
describe("the INGRESS backlog reading", () => {
  let ns: TestNamespace;
  const watchers: IngressBacklog[] = [];
  const watch = () => {
    const watcher = watchIngressBacklog(ns.bus, { intervalMs: 20 });
    watchers.push(watcher);
    return watcher;
  };
  const until = async (what: string, condition: () => boolean): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  beforeAll(async () => {
    ns = await openTestNamespace("gw-backlog");
  });
  afterAll(async () => {
    for (const watcher of watchers) watcher.stop();
    await ns?.close();
  });

  it("is 0 without an intake consumer, then counts what intake has not finished", async () => {
    const { bus } = ns;
    const stream = bus.topology.streams.ingress;
    const subject = bus.topology.subjects.ingress("acute-team");
    for (let i = 0; i < 4; i++) await bus.js.publish(subject, new TextEncoder().encode(`message ${i}`));

    const before = watch();
    // Several reads later, still nothing: the messages wait for no consumer.
    const reads = Date.now() + 200;
    await until("a few reads", () => Date.now() > reads);
    expect(before.current()).toBe(0);

    await bus.jsm.consumers.add(stream, {
      durable_name: INGRESS_CONSUMER,
      ack_policy: "explicit",
      filter_subject: bus.topology.subjects.all.ingress,
    });
    const backlog = watch();
    await until("the backlog of 4", () => backlog.current() === 4);

    // Two delivered, one acknowledged: three left (one in intake's hands, two not yet delivered).
    const consumer = await bus.js.consumers.get(stream, INGRESS_CONSUMER);
    const batch = await consumer.fetch({ max_messages: 2, expires: 1_000 });
    let first = true;
    for await (const message of batch) {
      if (first) message.ack();
      first = false;
    }
    await until("the backlog of 3", () => backlog.current() === 3);

    // Messages this gateway admits count at once, until the next reading (which would include them) replaces them.
    backlog.admitted();
    backlog.admitted();
    expect(backlog.current()).toBe(5);
    await until("the next reading", () => backlog.current() === 3);
  });
});

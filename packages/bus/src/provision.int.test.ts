import { cleanupNamespace, sharedNatsUrl, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus } from "../test/helpers.ts";
import { type Bus, connectHubBus, DEFAULT_RETENTION, hubProvisionOptions, readModelRetention } from "./index.ts";

const DAY_NS = 86_400 * 1_000_000_000;

let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
beforeAll(async () => {
  env = await testBus("prov");
  bus = env.bus;
});
afterAll(() => env.cleanup());

describe("provision", () => {
  it("is idempotent: a second run with the same settings reports unchanged", async () => {
    const again = await bus.provision({ retention: { ingressMaxAgeMs: 3_600_000 } });
    expect(again.unchanged).toBe(true);
    expect(again.streams.map((s) => s.action)).toEqual(Array(7).fill("unchanged"));
  });

  it("updates a compatible difference and says what changed", async () => {
    const report = await bus.provision({ retention: { ingressMaxAgeMs: 7_200_000 } });
    expect(report.unchanged).toBe(false);
    const ingress = report.streams.find((s) => s.stream === bus.topology.streams.ingress);
    expect(ingress).toEqual({
      stream: bus.topology.streams.ingress,
      action: "updated",
      changes: ["max_age: 3600000000000 → 7200000000000"],
      kept: [],
    });
    expect((await bus.jsm.streams.info(bus.topology.streams.ingress)).config.max_age).toBe(7_200_000_000_000);
  });

  it("reports every incompatible field of an existing stream and changes nothing", async () => {
    // Another definition under carehub's name: other subjects, memory storage, work-queue retention.
    const name = bus.topology.streams.inbox;
    await bus.jsm.streams.delete(name);
    await bus.jsm.streams.add({
      name,
      subjects: [`${env.namespace}.elsewhere.>`],
      storage: "memory",
      retention: "workqueue",
    });
    const before = await bus.jsm.streams.info(bus.topology.streams.ingress);
    const failure = await bus.provision().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name: "BusProvisionError", code: "CAREHUB_ERR_BUS_INCOMPATIBLE_STREAM" });
    const problems = (failure as { problems: string[] }).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toContain(`${name}.subjects`);
    expect(problems.join("\n")).toContain(`${name}.storage: is "memory", wanted "file"`);
    expect(problems.join("\n")).toContain(`${name}.retention: is "workqueue", wanted "limits"`);
    // The retention change asked for with the incompatible run was not applied to the other streams.
    expect((await bus.jsm.streams.info(bus.topology.streams.ingress)).config.max_age).toBe(before.config.max_age);
    await bus.jsm.streams.delete(name);
    expect(
      (await bus.provision({ retention: { ingressMaxAgeMs: 7_200_000 } })).streams.find((s) => s.stream === name)
        ?.action,
    ).toBe("created");
  });
});

describe("PIPELINE retention follows the read model (a rebuild replays it)", () => {
  let older: Awaited<ReturnType<typeof testBus>>;
  beforeAll(async () => {
    older = await testBus("prov-pipe");
  });
  afterAll(() => older.cleanup());

  it("moves a stream provisioned with the old 7-day PIPELINE to 90 days as a compatible update, keeping its messages", async () => {
    const { bus: old } = older;
    const pipeline = old.topology.streams.pipeline;
    // As an earlier carehub provisioned it.
    await old.provision({ retention: { ingressMaxAgeMs: 3_600_000, pipelineMaxAgeMs: 7 * 86_400_000 } });
    expect((await old.jsm.streams.info(pipeline)).config.max_age).toBe(7 * DAY_NS);
    const stored = await old.publishJson(
      old.topology.subjects.pipeline("referral"),
      { kept: true },
      { msgId: "kept-1" },
    );

    const report = await old.provision({ retention: { ingressMaxAgeMs: 3_600_000 } });
    expect(report.streams.filter((s) => s.action !== "unchanged")).toEqual([
      { stream: pipeline, action: "updated", changes: [`max_age: ${7 * DAY_NS} → ${90 * DAY_NS}`], kept: [] },
    ]);
    expect(DEFAULT_RETENTION.pipelineMaxAgeMs).toBe(90 * 86_400_000);
    const info = await old.jsm.streams.info(pipeline);
    expect(info.config.max_age).toBe(90 * DAY_NS);
    expect(info.state.messages).toBe(1);
    expect(await old.getMessage(pipeline, stored.seq)).not.toBeNull();

    // Idempotent from then on.
    expect((await old.provision({ retention: { ingressMaxAgeMs: 3_600_000 } })).unchanged).toBe(true);
  });

  it("keeps PIPELINE and EVENTS exactly as long as a read model with another retention", async () => {
    const { bus: hub } = older;
    const report = await hub.provision({ retention: { ingressMaxAgeMs: 3_600_000, ...readModelRetention(180) } });
    expect(report.streams.filter((s) => s.action === "updated").map((s) => s.stream)).toEqual([
      hub.topology.streams.pipeline,
      hub.topology.streams.events,
    ]);
    expect((await hub.jsm.streams.info(hub.topology.streams.pipeline)).config.max_age).toBe(180 * DAY_NS);
    expect((await hub.jsm.streams.info(hub.topology.streams.events)).config.max_age).toBe(180 * DAY_NS);
    expect((await hub.jsm.streams.info(hub.topology.streams.outbox)).config.max_age).toBe(7 * DAY_NS);
  });
});

describe("connectHubBus", () => {
  it("connects a hub process in its namespace and provisions PIPELINE and EVENTS for its read-model retention, AUDIT for its audit retention", async () => {
    const namespace = testNamespace("prov-hub");
    const config = { natsUrl: sharedNatsUrl(), namespace, retentionDays: 30, auditRetentionDays: 400 };
    const unprovisioned = await connectHubBus(config, { name: "prov-hub-none", provision: false });
    await expect(unprovisioned.jsm.streams.info(unprovisioned.topology.streams.pipeline)).rejects.toThrow();
    const hub = await connectHubBus(config, { name: "prov-hub" });
    try {
      expect(hub.topology.namespace).toBe(namespace);
      expect((await hub.jsm.streams.info(hub.topology.streams.pipeline)).config.max_age).toBe(30 * DAY_NS);
      expect((await hub.jsm.streams.info(hub.topology.streams.events)).config.max_age).toBe(30 * DAY_NS);
      expect((await hub.jsm.streams.info(hub.topology.streams.audit)).config).toMatchObject({
        max_age: 400 * DAY_NS,
        storage: "file",
        retention: "limits",
        subjects: [`${namespace}.audit.>`],
      });
      // Every process of the hub provisions alike: a second one changes nothing.
      expect((await unprovisioned.provision(hubProvisionOptions(config))).unchanged).toBe(true);
    } finally {
      await cleanupNamespace({ namespace, bus: hub });
      await unprovisioned.drain();
      await hub.drain();
    }
  });
});

describe("ensureConsumer", () => {
  it("creates once, is unchanged after, updates ack wait, and refuses a different filter", async () => {
    const stream = bus.topology.streams.outbox;
    const filterSubject = bus.topology.subjects.outbox("ep-a");
    await bus.ensureConsumer(stream, { durable: "ep-a", filterSubject, ackWaitMs: 5_000 });
    await bus.ensureConsumer(stream, { durable: "ep-a", filterSubject, ackWaitMs: 5_000 });
    const info = await bus.jsm.consumers.info(stream, "ep-a");
    expect(info.config).toMatchObject({ ack_policy: "explicit", filter_subject: filterSubject, max_deliver: 11 });
    expect(info.config.ack_wait).toBe(5_000_000_000);

    await bus.ensureConsumer(stream, { durable: "ep-a", filterSubject, ackWaitMs: 7_000 });
    expect((await bus.jsm.consumers.info(stream, "ep-a")).config.ack_wait).toBe(7_000_000_000);

    await expect(
      bus.ensureConsumer(stream, { durable: "ep-a", filterSubject: bus.topology.subjects.outbox("ep-b") }),
    ).rejects.toMatchObject({ code: "CAREHUB_ERR_BUS_INCOMPATIBLE_CONSUMER" });
  });
});

import { Writable } from "node:stream";
import { createLogger } from "@carehub/observability";
import { type NatsClusterHandle, startNatsCluster, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../test/helpers.ts";
import { type Bus, connectBus, connectHubBus, OutboxReferencePolicy, type ProvisionReport } from "./index.ts";

// Replication as configuration, on a private 3-node cluster: `auto` means R3 there, provisioning raises a
// stream's replicas and never lowers them, and durable consumers follow their stream. With OUTBOX by reference on
// (docs/decisions/0109), the router's copies name INGRESS only while INGRESS keeps as many copies as OUTBOX.

let cluster: NatsClusterHandle;
const buses: Bus[] = [];
beforeAll(async () => {
  cluster = await startNatsCluster(3);
}, 90_000);
afterAll(async () => {
  await Promise.allSettled(buses.map((b) => b.drain()));
  await cluster?.stop();
});

async function clusterBus(namespace: string): Promise<Bus> {
  const bus = await connectBus({ servers: cluster.urls, name: `test-${namespace}`, namespace });
  buses.push(bus);
  return bus;
}

/** A freshly elected meta leader may not place a stream at once: provision until it can. */
async function provisionWhenPlaced(bus: Bus, replicas?: Parameters<Bus["provision"]>[0]): Promise<ProvisionReport> {
  let report: ProvisionReport | undefined;
  await waitFor(
    "a placed provisioning",
    async () => {
      report = await bus.provision(replicas).catch(() => undefined);
      return report !== undefined;
    },
    30_000,
  );
  return report as ProvisionReport;
}

async function streamReplicas(bus: Bus): Promise<Record<string, { configured: number; copies: number }>> {
  const result: Record<string, { configured: number; copies: number }> = {};
  for (const name of Object.values(bus.topology.streams)) {
    const info = await bus.jsm.streams.info(name);
    result[name] = { configured: info.config.num_replicas, copies: 1 + (info.cluster?.replicas?.length ?? 0) };
  }
  return result;
}

const everyStream = (bus: Bus, replicas: number) =>
  Object.fromEntries(Object.values(bus.topology.streams).map((n) => [n, { configured: replicas, copies: replicas }]));

describe("replication on a 3-node cluster", () => {
  it("provisions every stream R3 by default (auto), with consumers as replicated as their stream", async () => {
    const bus = await clusterBus(testNamespace("r3-auto"));
    const report = await provisionWhenPlaced(bus);
    // A fresh namespace: every stream is made by this provisioning. A cluster still electing its leaders can refuse a
    // later stream after placing earlier ones; the retry then finds those as they were made ("unchanged"), never
    // changed ("updated"): what is checked is that nothing needed changing, and that all of them are R3.
    expect(report.streams).toHaveLength(7);
    for (const { stream, action } of report.streams) expect(["created", "unchanged"], stream).toContain(action);
    expect(await streamReplicas(bus)).toEqual(everyStream(bus, 3));

    await bus.ensureConsumer(bus.topology.streams.outbox, { durable: "dispatch-ep" });
    const consumer = await bus.jsm.consumers.info(bus.topology.streams.outbox, "dispatch-ep");
    // Its peers: the leader and the replicas beside it — or, while its group still elects a leader, all of them as
    // replicas (seen once under load: three replicas and no leader). Three either way for an R3 consumer, one for R1.
    const peers = (consumer.cluster?.leader ? 1 : 0) + (consumer.cluster?.replicas?.length ?? 0);
    expect(peers).toBe(3);
  }, 60_000);

  it("keeps R3 when provisioned with 1 afterwards, and reports it (in the report and the hub's log)", async () => {
    const namespace = testNamespace("r3-keep");
    const bus = await clusterBus(namespace);
    await provisionWhenPlaced(bus, { replicas: 3 });

    const report = await bus.provision({ replicas: 1 });
    expect(report.unchanged).toBe(true);
    expect(report.streams).toEqual(
      Object.values(bus.topology.streams).map((stream) => ({
        stream,
        action: "unchanged",
        changes: [],
        kept: ["num_replicas: 3 kept (configured 1)"],
      })),
    );
    expect(await streamReplicas(bus)).toEqual(everyStream(bus, 3));

    // A hub process configured with CAREHUB_STREAM_REPLICAS=1 starts on the kept streams and warns.
    const lines: string[] = [];
    const logger = createLogger({
      name: "test",
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const hub = await connectHubBus(
      { natsUrl: cluster.urls.join(","), namespace, retentionDays: 90, streamReplicas: { all: 1, byClass: {} } },
      { name: "test-hub", logger },
    );
    buses.push(hub);
    expect(await streamReplicas(hub)).toEqual(everyStream(hub, 3));
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.kept !== undefined);
    expect(warning?.msg).toBe("streams keep more replicas than configured: provisioning never lowers them");
    expect(warning?.kept).toHaveLength(7);
  }, 60_000);

  it("raises an R1 stream to the configured class count, and its existing consumer follows", async () => {
    const bus = await clusterBus(testNamespace("r1-raise"));
    await provisionWhenPlaced(bus, { replicas: 1 });
    await bus.ensureConsumer(bus.topology.streams.ingress, { durable: "intake" });

    const report = await bus.provision({ replicas: { all: 1, byClass: { ingress: 3 } } });
    expect(report.streams.filter((s) => s.action !== "unchanged")).toEqual([
      { stream: bus.topology.streams.ingress, action: "updated", changes: ["num_replicas: 1 → 3"], kept: [] },
    ]);
    // While the new peers catch up, the server may list a moving peer beside them: wait for three copies.
    await waitFor(
      "INGRESS to have three copies",
      async () => (await streamReplicas(bus))[bus.topology.streams.ingress]?.copies === 3,
      20_000,
    );
    const replicas = await streamReplicas(bus);
    expect(replicas[bus.topology.streams.ingress]).toEqual({ configured: 3, copies: 3 });
    expect(replicas[bus.topology.streams.audit]).toEqual({ configured: 1, copies: 1 });
    await waitFor(
      "the consumer to follow its stream to R3",
      async () =>
        (await bus.jsm.consumers.info(bus.topology.streams.ingress, "intake")).cluster?.replicas?.length === 2,
      20_000,
    );
  }, 60_000);

  // What an operator hits with CAREHUB_OUTBOX_BY_REFERENCE on and CAREHUB_STREAM_REPLICAS per class. Catches the
  // replica rule left out of the router's policy (a node's loss could take an R1 INGRESS copy and leave the R3
  // OUTBOX entry naming it: its bytes lost), the policy reading the configured count rather than the server's, and a
  // policy that never reads the streams again (INGRESS raised later would stay inline for good).
  it("references INGRESS only while it keeps as many replicas as OUTBOX, as the servers hold them", async () => {
    const bus = await clusterBus(testNamespace("r-ref"));
    await provisionWhenPlaced(bus, { replicas: { all: 1, byClass: { outbox: 3 } }, outboxByReference: true });
    let now = Date.now();
    const policy = new OutboxReferencePolicy(bus, { now: () => now });
    expect(await policy.allows(now), "INGRESS R1 under an R3 OUTBOX").toBe(false);

    const report = await bus.provision({
      replicas: { all: 1, byClass: { ingress: 3, outbox: 3 } },
      outboxByReference: true,
    });
    expect(report.streams.filter((s) => s.action === "updated").map((s) => [s.stream, s.changes])).toEqual([
      [bus.topology.streams.ingress, ["num_replicas: 1 → 3"]],
    ]);
    // The policy keeps what it read for a minute (one stream-info pair per minute per router, not per copy).
    expect(await policy.allows(now)).toBe(false);
    now += 61_000;
    expect(await policy.allows(now), "INGRESS raised to R3").toBe(true);

    // Configured back to 1 for INGRESS: provisioning keeps its three copies, so references stay allowed.
    await bus.provision({ replicas: { all: 1, byClass: { outbox: 3 } }, outboxByReference: true });
    expect((await bus.jsm.streams.info(bus.topology.streams.ingress)).config.num_replicas).toBe(3);
    now += 61_000;
    expect(await policy.allows(now)).toBe(true);
  }, 60_000);
});

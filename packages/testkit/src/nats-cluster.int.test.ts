import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { type NatsClusterHandle, type NatsServerHandle, startNatsCluster } from "./nats-server.ts";

let cluster: NatsClusterHandle | undefined;
afterAll(async () => {
  await cluster?.stop();
});

async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe("startNatsCluster", () => {
  it("forms a 3-node JetStream cluster whose R3 stream still takes publishes after a node is killed", async () => {
    cluster = await startNatsCluster(3);
    expect(cluster.urls).toHaveLength(3);
    const nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const info = await retry(() => jsm.streams.add({ name: "R3", subjects: ["r3.>"], num_replicas: 3 }), 15_000);
      expect(info.config.num_replicas).toBe(3);
      await js.publish("r3.a", "before", { msgID: "1" });

      await jsm.consumers.add("R3", { durable_name: "reader" });
      // leaderOf names the node JetStream itself names, for the stream and for a consumer.
      const leaderName = (await jsm.streams.info("R3")).cluster?.leader;
      const victim = await cluster.leaderOf("R3");
      expect(victim).toBeDefined();
      expect(cluster.names[cluster.servers.indexOf(victim as NatsServerHandle)]).toBe(leaderName);
      const consumerLeader = (await jsm.consumers.info("R3", "reader")).cluster?.leader;
      expect(cluster.names[cluster.servers.indexOf((await cluster.leaderOf("R3", "reader")) as NatsServerHandle)]).toBe(
        consumerLeader,
      );

      // Kill the stream's leader: the harder case (a new leader must be elected).
      await victim?.kill();
      const ack = await retry(() => js.publish("r3.a", "after", { msgID: "2", timeout: 2_000 }), 20_000);
      expect(ack.seq).toBe(2);
      expect((await retry(() => jsm.streams.info("R3"), 10_000)).state.messages).toBe(2);
      const successor = await cluster.leaderOf("R3");
      expect(successor).toBeDefined();
      expect(successor).not.toBe(victim);

      // Back, and healthy once its copy has caught up: the stream has three current copies again.
      await victim?.restart();
      // Traffic after the restart: a write, and the consumer's deliveries and acks through its (new) leader.
      const again = await retry(() => js.publish("r3.a", "again", { msgID: "3", timeout: 2_000 }), 20_000);
      expect(again.seq).toBe(3);
      const acked = await retry(async () => {
        const reader = await js.consumers.get("R3", "reader");
        const seqs: number[] = [];
        for await (const message of await reader.fetch({ max_messages: 3, expires: 2_000 })) {
          await message.ackAck();
          seqs.push(message.seq);
          if (seqs.length === 3) break;
        }
        if (seqs.length < 3) throw new Error(`only ${seqs.length} of 3 delivered`);
        return seqs;
      }, 20_000);
      expect(acked).toEqual([1, 2, 3]);
      // Back, and the stream has three current copies again once the returning one has caught up. Its /healthz is
      // not waited for: nats-server 2.9 can keep the returning copy of a consumer "not current" for over a minute
      // (`JetStream consumer '$G > R3 > reader' is not current`, about one run in eight here, with traffic or without).
      const replicas = await retry(async () => {
        const copies = (await jsm.streams.info("R3")).cluster?.replicas ?? [];
        if (copies.length !== 2 || !copies.every((r) => r.current)) throw new Error(JSON.stringify(copies));
        return copies;
      }, 60_000);
      expect(replicas.map((r) => r.current)).toEqual([true, true]);
      expect((await jsm.streams.info("R3")).state.messages).toBe(3);
    } finally {
      await nc.close();
    }
  }, 90_000);
});

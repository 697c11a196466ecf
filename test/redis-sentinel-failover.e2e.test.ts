import { type RedisSentinelHandle, startRedisSentinel } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FailoverTraffic, startFailoverTraffic, verifyNothingLostOrTwice } from "./src/failover-traffic.ts";
import { type Harness, startHarness } from "./src/harness.ts";

/**
 * The hub outlives a Redis failover (issue 16, item 2). Redis runs as a primary, a replica and three sentinels;
 * the hub is configured with the sentinels only (CAREHUB_REDIS_SENTINELS), never with the primary's address.
 * Traffic goes in through the HTTP gateway and a query poller reads the read model the whole time. The primary
 * is SIGKILLed; once the sentinels have promoted the replica, intake must accept messages again, queries must
 * answer and deliveries go on, without the hub being told anything; the old primary comes back as a replica,
 * and then the new primary is killed too (a failover back). At the end every accepted message reached its
 * receiver once and the read model applied each message's events once.
 */

const RECOVERY_MS = 30_000;

let sentinel: RedisSentinelHandle;
let h: Harness;
let traffic: FailoverTraffic | undefined;

beforeAll(async () => {
  sentinel = await startRedisSentinel();
  h = await startHarness({
    config: { redisSentinels: sentinel.sentinels, redisSentinelName: sentinel.name },
  });
}, 90_000);

afterAll(async () => {
  await traffic?.stop();
  await h?.close();
  await sentinel?.stop();
});

/** The port of the Redis server the hub's own client is connected to now. */
async function hubRedisPort(): Promise<number> {
  const info = String(await h.hub.redis.call("INFO", "server"));
  return Number(/tcp_port:(\d+)/.exec(info)?.[1]);
}

describe("a hub on Redis with Sentinel", () => {
  it("keeps taking, delivering and answering when the primary is killed and a replica promoted, twice", async () => {
    // Which server the hub's client was connected to, and when: a failure then shows whether the hub ever wrote to
    // a server that was not the sentinels' primary (a restarted old primary is an empty primary until they turn it
    // into a replica).
    const connections: Array<{ at: number; port: number | undefined }> = [];
    const started = Date.now();
    h.hub.redis.on("ready", () =>
      connections.push({
        at: Date.now() - started,
        port: (h.hub.redis as unknown as { stream?: { remotePort?: number } }).stream?.remotePort,
      }),
    );
    const events: Array<Record<string, number | string>> = [];
    traffic = startFailoverTraffic(h);
    await traffic.waitForAccepted(20);
    await traffic.waitForQueryAnswer();

    const figures: Array<Record<string, number>> = [];
    for (let round = 1; round <= 2; round++) {
      const primary = await sentinel.primary();
      expect(await hubRedisPort()).toBe(primary.port);
      const deliveredBefore = h.receiver("practice").accepted().length;
      // What the replica had not applied when the primary was killed: writes Redis' asynchronous replication can
      // lose (docs/operations.md). waitForReplica waits for it to catch up, so this reads 0 or the last moment's.
      const replica = sentinel.servers.find((s) => s !== primary);
      const replicaBehindBytes = replica === undefined ? -1 : await sentinel.replicaBehind(replica);
      const killedAt = Date.now();
      events.push({ at: killedAt - started, killed: primary.port, replicaBehindBytes });
      await primary.kill();

      const promoted = await sentinel.waitForFailover(primary, RECOVERY_MS);
      const promotedInMs = Date.now() - killedAt;
      const intakeGapMs = await traffic.waitForAccepted(20, RECOVERY_MS, killedAt);
      const queriesAnsweredAfterMs = await traffic.waitForQueryAnswer(killedAt, RECOVERY_MS);
      await h.receiver("practice").waitFor((d) => d.length > deliveredBefore + 10, RECOVERY_MS);
      // The hub found the new primary through the sentinels on its own.
      expect(await hubRedisPort()).toBe(promoted.port);
      figures.push({ round, promotedInMs, intakeGapMs, queriesAnsweredAfterMs, recoveredInMs: Date.now() - killedAt });
      console.log(JSON.stringify(figures.at(-1)));

      events.push({ at: Date.now() - started, restarting: primary.port });
      await primary.restart();
      await sentinel.waitForReplica(primary);
      events.push({ at: Date.now() - started, replicaAgain: primary.port });
    }

    await traffic.stop();
    const outcome = await verifyNothingLostOrTwice(h, traffic);
    console.log(JSON.stringify({ failovers: figures, answers: traffic.answers, outcome, connections, events }));
    expect(outcome.accepted).toBeGreaterThan(60);
    const { lost, notRecordedDelivered, appliedTwice } = outcome;
    expect({ lost, notRecordedDelivered, appliedTwice }).toEqual({ lost: 0, notRecordedDelivered: 0, appliedTwice: 0 });
    // A receiver may see a message id twice only where the hub knows and counts it (docs/contracts.md).
    expect(outcome.repeatedAtReceiver).toBeLessThanOrEqual(outcome.wireDuplicatesCounted);
  }, 180_000);
});

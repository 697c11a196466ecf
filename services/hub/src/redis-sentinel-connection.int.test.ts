import { createServer, type Server, type Socket } from "node:net";
import { createLogger } from "@carehub/observability";
import { parseHubConfig } from "@carehub/schemas";
import { type RedisSentinelHandle, startRedisSentinel } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisClient, newestPrimary } from "./redis-connection.ts";

/**
 * A sentinel that answers from a fixed view: the address it gives clients (GET-MASTER-ADDR-BY-NAME), and its primary
 * record (SENTINEL MASTER: that record's address and configuration epoch). It speaks just enough RESP for ioredis'
 * Sentinel client, and stays as it is told, which makes the tests deterministic. A real sentinel is stale (the old
 * primary, the epoch before the failover) for up to a hello period (2 s) after a failover, longer on a busy machine;
 * the one that led a failover gives the promoted replica's address while its record still holds the old primary's
 * under the new epoch, until it has finished.
 */
function fakeSentinel(view: {
  gives: number;
  recordPort: number;
  epoch: number;
}): Promise<{ server: Server; port: number }> {
  const bulk = (value: string) => `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
  const array = (values: string[]) => `*${values.length}\r\n${values.map(bulk).join("")}`;
  const answer = (command: string[]): string => {
    const [name = "", sub = ""] = command.map((part) => part.toLowerCase());
    if (name === "sentinel" && sub === "get-master-addr-by-name") return array(["127.0.0.1", String(view.gives)]);
    if (name === "sentinel" && sub === "master") {
      const record = ["name", "carehub", "ip", "127.0.0.1", "port", String(view.recordPort), "flags", "master"];
      return array([...record, "config-epoch", String(view.epoch)]);
    }
    if (name === "sentinel") return "*0\r\n";
    if (name === "subscribe") return `*3\r\n${bulk("subscribe")}${bulk(command[1] ?? "")}:1\r\n`;
    return "+OK\r\n";
  };
  const serve = (socket: Socket) => {
    let pending = "";
    socket.on("error", () => undefined);
    socket.on("data", (chunk) => {
      pending += chunk.toString("latin1");
      for (;;) {
        const parsed = parseCommand(pending);
        if (parsed === undefined) return;
        pending = pending.slice(parsed.length);
        socket.write(answer(parsed.command));
      }
    });
  };
  return new Promise((resolve) => {
    const server = createServer(serve);
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/** A sentinel still on the configuration before the last failover: it names the old primary. */
const staleSentinel = (oldPrimaryPort: number) =>
  fakeSentinel({ gives: oldPrimaryPort, recordPort: oldPrimaryPort, epoch: 0 });

/** One RESP command (an array of bulk strings) from the start of `text`, or undefined while it is incomplete. */
function parseCommand(text: string): { command: string[]; length: number } | undefined {
  const header = /^\*(\d+)\r\n/.exec(text);
  if (header === null) return undefined;
  let at = header[0].length;
  const command: string[] = [];
  for (let i = 0; i < Number(header[1]); i++) {
    const size = /^\$(\d+)\r\n/.exec(text.slice(at));
    if (size === null) return undefined;
    at += size[0].length;
    const end = at + Number(size[1]);
    if (text.length < end + 2) return undefined;
    command.push(text.slice(at, end));
    at = end + 2;
  }
  return { command, length: at };
}

const logger = createLogger({ name: "test", level: "silent" });
let sentinel: RedisSentinelHandle;

beforeAll(async () => {
  sentinel = await startRedisSentinel();
}, 90_000);

afterAll(async () => {
  await sentinel?.stop();
});

describe("newestPrimary", () => {
  // Catches: taking the address from SENTINEL MASTER, which the sentinel that led a failover still gives as the old
  // primary's, under the new epoch, until it has finished the failover (a clean-clone CI run of 2026-12-07 connected
  // to the restarted old primary so); and taking the first answer instead of the newest epoch's.
  it("takes the address a sentinel gives clients, from the sentinels at the newest configuration epoch", async () => {
    const [oldPrimary, promoted] = [41_001, 41_002];
    const stale = await staleSentinel(oldPrimary);
    const finishing = await fakeSentinel({ gives: promoted, recordPort: oldPrimary, epoch: 1 });
    try {
      const sentinels = [stale, finishing].map(({ port }) => ({ host: "127.0.0.1", port }));
      expect(await newestPrimary(sentinels, "carehub")).toEqual({ host: "127.0.0.1", port: promoted });
    } finally {
      stale.server.close();
      finishing.server.close();
    }
  });
});

describe("the hub's Redis client behind Sentinel", () => {
  // Catches: connecting to whatever the first sentinel asked names (ioredis' own resolution). After a failover the
  // old primary, started again, is a primary with nothing in it until the sentinels turn it into a replica; a
  // sentinel still on the old configuration names it, and whatever the hub writes there is thrown away.
  it("connects to the primary of the newest configuration, not to the old primary a stale sentinel names", async () => {
    const old = await sentinel.primary();
    await old.kill();
    const promoted = await sentinel.waitForFailover(old);
    await old.restart();
    const stale = await staleSentinel(old.port);
    const redis = createRedisClient(
      parseHubConfig({
        // The stale sentinel first: ioredis asks the sentinels in the order given.
        CAREHUB_REDIS_SENTINELS: [`127.0.0.1:${stale.port}`, sentinel.sentinelsSetting].join(","),
        CAREHUB_REDIS_SENTINEL_NAME: sentinel.name,
      }),
      logger,
    );
    try {
      const info = String(await redis.call("INFO", "server"));
      expect(Number(/tcp_port:(\d+)/.exec(info)?.[1])).toBe(promoted.port);
    } finally {
      redis.disconnect();
      stale.server.close();
    }
  }, 90_000);
});

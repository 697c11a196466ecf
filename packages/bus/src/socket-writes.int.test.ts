import { once } from "node:events";
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { sharedNatsUrl, sharedRedisUrl, startNatsServer, startRedisServer } from "@carehub/testkit";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { testBus, waitFor } from "../test/helpers.ts";
import { connectBus } from "./bus.ts";
import { keepRedisConnected } from "./redis-keep-connected.ts";
import { coalesceNatsWrites, coalesceRedisWrites } from "./socket-writes.ts";
import { socketWrites } from "./testing.ts";

const redisStream = (redis: Redis) => (redis as unknown as { stream: unknown }).stream;
const natsSocket = (nc: unknown) => (nc as { protocol: { transport: { socket: unknown } } }).protocol.transport.socket;

/** Waits without yielding to the event loop (so no callback runs meanwhile) until `done`, for at most 5 s. */
function spinUntil(done: () => boolean): void {
  const deadline = performance.now() + 5_000;
  while (!done()) if (performance.now() > deadline) throw new Error("not reached in 5 s");
}

/**
 * Runs `first` and `second` as two timer callbacks of one timers phase (microtasks and ticks run between them).
 * Each timer's start is read from a clock that may pass a millisecond between the two, which could leave the second
 * 1 ms timer not yet due when the first runs (a turn of its own, on a loaded machine); waiting here until both are
 * well due, before the event loop reads its clock for the next timers phase, makes it run both.
 */
function twoTimersOfOneTurn(first: () => void, second: () => void): void {
  const set = performance.now();
  setTimeout(first, 0);
  setTimeout(second, 0);
  spinUntil(() => performance.now() > set + 5);
}

/** A process's state (`T` stopped), or "gone". */
function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2);
  } catch {
    return "gone";
  }
}

/**
 * The kernel's state of a loopback TCP connection (`/proc/net/tcp`, hex: 01 established, 08 closed by the peer),
 * undefined once a reset has closed it (a closed socket is no longer listed).
 */
function tcpState(localPort: number, remotePort: number): string | undefined {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const [, local, remote, state] = line.trim().split(/\s+/);
    if (local?.endsWith(`:${hex(localPort)}`) && remote?.endsWith(`:${hex(remotePort)}`)) return state;
  }
  return undefined;
}

/**
 * A TCP proxy to Redis in a worker thread (so it runs while the test's thread spins) that, told "fin", ends its side
 * of each client connection but keeps reading it and forwarding what it reads; it posts its port when listening.
 */
const HALF_CLOSING_PROXY = `
const net = require("node:net");
const { parentPort, workerData } = require("node:worker_threads");
const clients = new Set();
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect(workerData.port, workerData.host);
  clients.add(client);
  client.on("data", (data) => upstream.write(data));
  upstream.on("data", (data) => client.writable && client.write(data));
  client.on("end", () => upstream.end());
  client.on("close", () => { clients.delete(client); upstream.destroy(); });
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
parentPort.on("message", () => { for (const client of clients) client.end(); });
`;

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function heldRedis(): Promise<Redis> {
  const redis = coalesceRedisWrites(new Redis(sharedRedisUrl()));
  closers.push(() => redis.quit());
  await redis.ping();
  return redis;
}

const key = (name: string) => `test:socket-writes:${process.pid}:${name}`;

describe("coalesceRedisWrites", () => {
  it("writes the commands of one piece of work as one chunk, each with its own reply, in order", async () => {
    const redis = await heldRedis();
    const writes = socketWrites(redisStream(redis));
    const k = key("order");
    closers.push(() => redis.del(k));
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => redis.rpush(k, `v${i}`)));
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Unheld, ioredis writes each command on its own: 20 writes.
    expect(writes).toHaveLength(1);
    expect(await redis.lrange(k, 0, -1)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  });

  it("holds a command made after an await of the same piece of work with the rest", async () => {
    const redis = await heldRedis();
    const writes = socketWrites(redisStream(redis));
    const k = key("chain");
    closers.push(() => redis.del(k));
    // From a callback of the event loop, as a handler's work starts: the second command comes in a microtask.
    const both = await new Promise<Promise<number[]>>((resolve) =>
      setImmediate(() => {
        const first = redis.incr(k);
        const second = Promise.resolve().then(() => redis.incr(k));
        resolve(Promise.all([first, second]));
      }),
    );
    expect(await both).toEqual([1, 2]);
    expect(writes).toHaveLength(1);
  });

  it("keeps Buffer and string arguments and their order when both are held", async () => {
    const redis = await heldRedis();
    const writes = socketWrites(redisStream(redis));
    const k = key("mixed");
    closers.push(() => redis.del(k));
    const binary = Buffer.from([0, 255, 1, 254, 10, 13]);
    await Promise.all([redis.rpush(k, "a"), redis.rpush(k, binary), redis.rpush(k, "ø")]);
    expect(writes).toHaveLength(1);
    const stored = await redis.lrangeBuffer(k, 0, -1);
    expect(stored).toEqual([Buffer.from("a"), binary, Buffer.from("ø")]);
  });

  // Catches: holding only to the end of each callback's own work (0098's timing): two callbacks of one turn, two
  // writes.
  it("writes the commands of every callback of one event-loop turn as one chunk", async () => {
    const redis = await heldRedis();
    const writes = socketWrites(redisStream(redis));
    const k = key("turn");
    closers.push(() => redis.del(k));
    const both = await new Promise<Promise<number[]>>((resolve) => {
      let first: Promise<number> | undefined;
      twoTimersOfOneTurn(
        () => {
          first = Promise.resolve().then(() => redis.incr(k));
        },
        () => resolve(Promise.all([first ?? Promise.reject(new Error("no first")), redis.incr(k)])),
      );
    });
    expect(await both).toEqual([1, 2]);
    expect(writes).toHaveLength(1);
  });

  // Catches: a hold that outlives its turn (a flush on a timer, even `setTimeout(flush, 0)`, or only once enough is
  // held): a command would wait for later callbacks, and a lone command for nothing at all.
  it("holds nothing past the end of its turn", async () => {
    const redis = await heldRedis();
    const writes = socketWrites(redisStream(redis));
    const turn = await new Promise<{ held: number; echoed: Promise<string>; next: Promise<number> }>((resolve) =>
      setTimeout(() => {
        const echoed = redis.echo("turn-0");
        // An immediate queued after the flush's runs in the same check phase, right after it: a flush any later (a
        // timer, even one of 0 ms, runs in a later turn) has not written yet.
        resolve({ held: writes.length, echoed, next: new Promise((next) => setImmediate(() => next(writes.length))) });
      }, 0),
    );
    expect(turn.held).toBe(0);
    expect(await turn.next).toBe(1);
    expect(await turn.echoed).toBe("turn-0");
    for (let i = 1; i < 3; i++) expect(await redis.echo(`turn-${i}`)).toBe(`turn-${i}`);
    expect(writes).toHaveLength(3);
  });

  // Catches: a hold with no bound, so a turn that sends many large commands builds one chunk of all of them (here
  // about 200 KiB) and writes nothing until the turn ends.
  it("writes what it holds once it reaches 64 KiB within one turn", async () => {
    const redis = await heldRedis();
    const writes = socketWrites(redisStream(redis));
    const value = "v".repeat(20 * 1024);
    const keys = Array.from({ length: 10 }, (_, i) => key(`large-${i}`));
    closers.push(() => redis.del(...keys));
    const sets = keys.map((k) => redis.set(k, value));
    // Still within the turn: the first 64 KiB or more are written already.
    const written = writes.length;
    expect(await Promise.all(sets)).toEqual(keys.map(() => "OK"));
    expect(written).toBeGreaterThanOrEqual(1);
    for (const chunk of writes) expect(chunk.length).toBeLessThan(64 * 1024 + value.length + 100);
    expect(writes.join("").length).toBeGreaterThan(10 * value.length);
    expect(await redis.strlen(keys[9] ?? "")).toBe(value.length);
  });

  // Catches: the flush queued with whatever `setImmediate` is global at the time, so a test that fakes timers
  // (vitest fakes `setImmediate` by default) freezes every held write and never gets a reply.
  it("writes at the end of the turn while a test fakes timers", async () => {
    const redis = await heldRedis();
    const realTimeout = globalThis.setTimeout;
    vi.useFakeTimers();
    try {
      const answered = await Promise.race([
        redis.echo("faked"),
        new Promise((resolve) => realTimeout(() => resolve("no reply in 2 s"), 2_000)),
      ]);
      expect(answered).toBe("faked");
    } finally {
      vi.useRealTimers();
    }
  });

  // The case 0098 held against the end-of-turn timing: commands held in one callback, and the client learning in a
  // later callback of the same turn that its server died — with a command unread (the server was stopped), so the
  // connection is reset and the socket destroyed before the turn's flush. What it held is dropped, not written;
  // ioredis counts the commands sent and unanswered and resends each once on its next connection. Catches: held
  // bytes of a dead socket written to the next connection besides ioredis' resend (each command run twice), or held
  // commands neither written nor resent (never answered).
  it("drops what it held for a socket reset later in the same turn, and ioredis resends each command once", async () => {
    const server = await startRedisServer();
    closers.push(() => server.stop());
    const redis = coalesceRedisWrites(new Redis(server.url, { retryStrategy: () => 50, maxRetriesPerRequest: null }));
    redis.on("error", () => undefined); // the killed server's connection: expected here
    closers.push(() => redis.disconnect());
    const pid = Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1]);
    const k = key("reset");
    const first = redisStream(redis) as { writable: boolean; localPort: number };
    const writes = socketWrites(first);
    // Stopped, the server reads nothing more: killed with a command unread, it resets the connection.
    process.kill(pid, "SIGSTOP");
    spinUntil(() => processState(pid) === "T");
    const unread = redis.echo("unread");
    while (!writes.join("").includes("unread")) await new Promise((resolve) => setImmediate(resolve));
    const held = await new Promise<{
      before: string | undefined;
      after: string | undefined;
      writable: boolean;
      incrs: Promise<number>[];
    }>((resolve) =>
      setTimeout(() => {
        const incrs = Array.from({ length: 10 }, () => redis.incr(k));
        // Killed, and the reset arrived, before this callback ends: it is there for this turn's poll phase.
        const before = tcpState(first.localPort, server.port);
        process.kill(pid, "SIGKILL");
        spinUntil(() => tcpState(first.localPort, server.port) !== "01");
        resolve({ before, after: tcpState(first.localPort, server.port), writable: first.writable, incrs });
      }, 0),
    );
    expect(held).toMatchObject({ before: "01", after: undefined, writable: true });
    const settled = Promise.allSettled([unread, ...held.incrs]);
    await server.restart();
    await settled;
    expect((await Promise.all(held.incrs)).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(await unread).toBe("unread");
    expect(first.writable).toBe(false);
    // None of the ten went out on the dead socket; the restarted server (no persistence) ran each once.
    expect(writes.join("")).not.toContain("incr");
    expect(await redis.get(k)).toBe("10");
  });

  // A peer that half-closes (a proxy whose upstream went away): it sends its FIN but still reads. A command held in
  // the turn in which the FIN arrives is dropped, not written into the half-closed socket by `end`; ioredis never
  // gets a reply for it and resends it once on the next connection. Catches: what is held written by `end` after
  // the peer's FIN: the proxy forwards it, Redis runs it, and ioredis' resend runs it again (2, not 1).
  it("drops what it held for a socket whose peer half-closes it in the same turn, and ioredis resends it once", async () => {
    const { hostname, port } = new URL(sharedRedisUrl());
    const proxy = new Worker(HALF_CLOSING_PROXY, { eval: true, workerData: { host: hostname, port: Number(port) } });
    closers.push(() => proxy.terminate());
    const [proxyPort] = (await once(proxy, "message")) as [number];
    const redis = coalesceRedisWrites(
      new Redis({ host: "127.0.0.1", port: proxyPort, retryStrategy: () => 50, maxRetriesPerRequest: null }),
    );
    redis.on("error", () => undefined); // the half-closed connection: expected here
    closers.push(() => redis.disconnect());
    await redis.ping();
    const k = key("fin");
    closers.push(() => redis.del(k));
    const first = redisStream(redis) as { localPort: number };
    const writes = socketWrites(first);
    const held = await new Promise<{ state: string | undefined; incr: Promise<number> }>((resolve) =>
      setTimeout(() => {
        const incr = redis.incr(k);
        // The proxy (a thread of its own) ends its side; the FIN is there for this turn's poll phase.
        proxy.postMessage("fin");
        spinUntil(() => tcpState(first.localPort, proxyPort) === "08");
        resolve({ state: tcpState(first.localPort, proxyPort), incr });
      }, 0),
    );
    expect(held.state).toBe("08");
    expect(await held.incr).toBe(1);
    expect(redisStream(redis)).not.toBe(first);
    expect(writes.join("")).not.toContain("incr");
    expect(await redis.get(k)).toBe("1");
  });

  it("holds the writes of the connection made after a reconnect too, and resends what a dropped socket held", async () => {
    const redis = coalesceRedisWrites(new Redis(sharedRedisUrl()));
    redis.on("error", () => undefined); // the cut connection's error: expected here
    keepRedisConnected(redis, () => undefined, 10);
    closers.push(() => redis.quit());
    await redis.ping();
    const k = key("reconnect");
    closers.push(() => redis.del(k));
    const first = redisStream(redis) as { destroy(): void };
    // Held in the same piece of work as the socket dies: ioredis resends them on the next connection, once each.
    const held = Array.from({ length: 10 }, () => redis.incr(k));
    first.destroy();
    expect((await Promise.all(held)).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(redisStream(redis)).not.toBe(first);
    const writes = socketWrites(redisStream(redis));
    await Promise.all(Array.from({ length: 10 }, () => redis.incr(k)));
    expect(writes).toHaveLength(1);
    expect(await redis.get(k)).toBe("20");
  });

  it("writes what is held before the socket ends on disconnect, as an unheld command was written before", async () => {
    const redis = coalesceRedisWrites(new Redis(sharedRedisUrl()));
    redis.on("error", () => undefined);
    await redis.ping();
    const k = key("disconnect");
    const other = new Redis(sharedRedisUrl());
    closers.push(async () => {
      await other.del(k);
      other.disconnect();
    });
    const set = redis.set(k, "kept").catch(() => "closed");
    const ended = once(redis, "end");
    redis.disconnect();
    await ended;
    await set;
    expect(await other.get(k)).toBe("kept");
  });
});

/** A subscription on `subject` (up to `max` messages) of a connection of its own, ready once returned. */
async function reader(subject: string, max: number): Promise<Subscription> {
  const nc = await connect({ servers: sharedNatsUrl() });
  closers.push(() => nc.close());
  const sub = nc.subscribe(subject, { max });
  await nc.flush();
  return sub;
}

/**
 * Publishes `m0`…`m<count-1>` from `nc`, each after an await (nats-core alone flushes after each microtask
 * checkpoint: one write each), and returns what `sub` received and the socket writes `nc` made meanwhile.
 */
async function publishAcrossAwaits(
  nc: NatsConnection,
  sub: Subscription,
  subject: string,
  count: number,
): Promise<{ got: string[]; writes: string[] }> {
  const writes = socketWrites(natsSocket(nc));
  for (let i = 0; i < count; i++) {
    nc.publish(subject, `m${i}`);
    await Promise.resolve();
  }
  const got: string[] = [];
  for await (const m of sub) got.push(m.string());
  return { got, writes };
}

const numbered = (count: number) => Array.from({ length: count }, (_, i) => `m${i}`);

describe("coalesceNatsWrites", () => {
  it("writes what a piece of work publishes across its awaits as one frame", async () => {
    const nc = coalesceNatsWrites(await connect({ servers: sharedNatsUrl() }));
    closers.push(() => nc.close());
    const subject = `test.socket-writes.${process.pid}.chain`;
    const { got, writes } = await publishAcrossAwaits(nc, await reader(subject, 10), subject, 10);
    expect(got).toEqual(numbered(10));
    expect(writes).toHaveLength(1);
  });

  // Catches: holding only to the end of each callback's own work (0098's timing): a publish of each of two callbacks
  // of one turn, two frames.
  it("writes what the callbacks of one event-loop turn publish as one frame", async () => {
    const nc = coalesceNatsWrites(await connect({ servers: sharedNatsUrl() }));
    closers.push(() => nc.close());
    const subject = `test.socket-writes.${process.pid}.turn`;
    const sub = await reader(subject, 2);
    const writes = socketWrites(natsSocket(nc));
    twoTimersOfOneTurn(
      () => nc.publish(subject, "m0"),
      () => nc.publish(subject, "m1"),
    );
    const got: string[] = [];
    for await (const m of sub) got.push(m.string());
    expect(got).toEqual(numbered(2));
    expect(writes).toHaveLength(1);
  });

  // Catches: holding that also defers nats-core's own inline flush at its pending limit (32 KiB), so a piece of
  // work that publishes many large messages builds one unbounded buffer before anything is written.
  it("still writes at nats-core's pending limit within one piece of work", async () => {
    const nc = coalesceNatsWrites(await connect({ servers: sharedNatsUrl() }));
    closers.push(() => nc.close());
    const writes = socketWrites(natsSocket(nc));
    const payload = new Uint8Array(20 * 1024);
    const subject = `test.socket-writes.${process.pid}.large`;
    for (let i = 0; i < 10; i++) nc.publish(subject, payload);
    // Still within the piece of work: what passed the limit is written already, the rest is held.
    expect(writes.length).toBeGreaterThanOrEqual(4);
    await nc.flush();
    expect(writes.join("").length).toBeGreaterThan(10 * payload.length);
  });

  it("writes what is held before the connection closes", async () => {
    const nc = coalesceNatsWrites(await connect({ servers: sharedNatsUrl() }));
    const subject = `test.socket-writes.${process.pid}.close`;
    const sub = await reader(subject, 3);
    for (let i = 0; i < 3; i++) nc.publish(subject, `m${i}`);
    await nc.close();
    const got: string[] = [];
    for await (const m of sub) got.push(m.string());
    expect(got).toEqual(numbered(3));
  });

  it("holds the writes of the connection made after a reconnect too", async () => {
    const server = await startNatsServer({ jetstream: false });
    closers.push(() => server.stop());
    const nc = coalesceNatsWrites(
      await connect({ servers: server.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 }),
    );
    closers.push(() => nc.close());
    const subject = `test.socket-writes.${process.pid}.reconnect`;
    const sub = nc.subscribe(subject, { max: 10 });
    await nc.flush();
    const statuses = nc.status()[Symbol.asyncIterator]();
    const next = async (type: string) => {
      for (let s = await statuses.next(); !s.done; s = await statuses.next()) if (s.value.type === type) return;
    };
    await server.kill();
    await next("disconnect");
    await server.restart();
    await next("reconnect");
    await nc.flush();
    const { got, writes } = await publishAcrossAwaits(nc, sub, subject, 10);
    expect(got).toEqual(numbered(10));
    expect(writes).toHaveLength(1);
  });

  it("is applied by connectBus to the bus's connection", async () => {
    const bus = await connectBus({ servers: sharedNatsUrl(), name: "test-socket-writes" });
    closers.push(() => bus.drain());
    const subject = `test.socket-writes.${process.pid}.bus`;
    const { got, writes } = await publishAcrossAwaits(bus.nc, await reader(subject, 5), subject, 5);
    expect(got).toEqual(numbered(5));
    expect(writes).toHaveLength(1);
  });
});

describe("the consumer's acks", () => {
  // Catches: acks queued to the end of the event-loop turn (setImmediate, as before decision 0103) or to any later
  // callback: then the ack is a write of its own after the work's write, one more write per turn and consumer.
  it("leave in the one write of the piece of work that finished the handler", async () => {
    const env = await testBus("ackwrite");
    closers.push(() => env.cleanup());
    const { bus } = env;
    const subject = bus.topology.subjects.pipeline("ack-write");
    await bus.publish(subject, "x", { msgId: "ack-write-1" });
    const writes = socketWrites(natsSocket(bus.nc));
    const consumer = await bus.consume({
      stream: bus.topology.streams.pipeline,
      durable: "ackwrite",
      filterSubject: subject,
      stage: "ackwrite",
      // The handler's last output is a plain publish, held to the end of the work like every write.
      handler: async (message) => bus.nc.publish(`${env.namespace}.probe`, `done-${message.seq}`),
    });
    closers.push(() => consumer.stop());
    await waitFor("the ack stored", async () => {
      const info = await bus.jsm.consumers.info(bus.topology.streams.pipeline, "ackwrite");
      return info.num_ack_pending === 0 && info.ack_floor.stream_seq === 1;
    });
    const withAck = writes.filter((w) => w.includes("+ACK"));
    expect(withAck).toHaveLength(1);
    expect(withAck[0]).toContain("done-1");
  });
});

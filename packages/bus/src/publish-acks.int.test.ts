import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedNatsUrl, startNatsServer } from "@carehub/testkit";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus, within } from "../test/helpers.ts";
import { type Bus, connectBus } from "./index.ts";
import { PublishAcks } from "./publish-acks.ts";
import { publishMessage } from "./publisher.ts";

const NO_AT_REST = { cipher: undefined, claimCheck: undefined };
/** What a publish came to: "stored", or the error it failed with. */
const outcome = (publish: Promise<unknown>): Promise<unknown> =>
  publish.then(
    () => "stored",
    (error: unknown) => error,
  );
const otherBus = (name: string): Promise<Bus> =>
  connectBus({ servers: sharedNatsUrl(), name: `test-${env.namespace}-${name}`, namespace: env.namespace });

// The bus's JetStream publishes wait for their acks on one reply subscription per connection (publish-acks.ts,
// docs/decisions/0115). A subject someone listens on without answering stands in for a stream that does not answer.
let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
let silent: NatsConnection;
beforeAll(async () => {
  env = await testBus("pubacks");
  bus = env.bus;
  silent = await connect({ servers: sharedNatsUrl(), name: `test-${env.namespace}-silent` });
  silent.subscribe(`${env.namespace}.silent.>`, { callback: () => {} });
  await silent.flush();
});
afterAll(async () => {
  await silent.close();
  await env.cleanup();
});

describe("a JetStream publish", () => {
  it("starts no timer of its own: one interval checks every deadline", async () => {
    // Bug caught: a publish through js.publish again (a setTimeout, and its promise, per publish): 20 here.
    const subject = bus.topology.subjects.ingress("pubacks-1");
    await bus.publish(subject, "warm", { msgId: "pa-warm" });
    const original = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return original(...args);
    }) as typeof setTimeout;
    try {
      const acks = await Promise.all(
        Array.from({ length: 20 }, (_, i) => bus.publish(subject, `m-${i}`, { msgId: `pa-${i}` })),
      );
      expect(new Set(acks.map((ack) => ack.seq)).size).toBe(20);
      expect(acks.every((ack) => ack.stream === bus.topology.streams.ingress && !ack.duplicate)).toBe(true);
    } finally {
      globalThis.setTimeout = original;
    }
    expect(timers).toBe(0);
    expect(PublishAcks.of(bus.nc).waiting).toBe(0);
  });

  it("fails retryably once its timeout passes without an answer, and forgets it", async () => {
    // Bug caught: deadlines never checked — the publish would wait for ever (the test times out).
    const started = Date.now();
    await expect(
      bus.publish(`${env.namespace}.silent.a`, "x", { msgId: "pa-silent", timeoutMs: 300 }),
    ).rejects.toMatchObject({ code: "CAREHUB_ERR_BUS_PUBLISH_FAILED", retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(PublishAcks.of(bus.nc).waiting).toBe(0);
  });

  it("fails what still waits when its connection closes, instead of waiting out the timeout", async () => {
    // Bug caught: the waiting publishes left in the map when the connection goes: they would hang for 60 s.
    const other = await connectBus({
      servers: sharedNatsUrl(),
      name: `test-${env.namespace}-closing`,
      namespace: env.namespace,
    });
    const waiting = other.publish(`${env.namespace}.silent.b`, "x", { msgId: "pa-closing", timeoutMs: 60_000 });
    const outcome = waiting.then(
      () => "stored",
      (error: unknown) => error,
    );
    await other.nc.flush();
    expect(PublishAcks.of(other.nc).waiting).toBe(1);
    await other.nc.close();
    expect(await outcome).toMatchObject({ code: "CAREHUB_ERR_BUS_PUBLISH_FAILED", retryable: true });
    expect(PublishAcks.of(other.nc).waiting).toBe(0);
  });

  it("is refused at once, unsent, once its connection drains", async () => {
    // Bug caught: sent anyway — JetStream stores it, but its ack comes to a reply subscription that is draining,
    // so it is reported failed although stored (js.publish's request refused it with DrainingConnectionError).
    const other = await otherBus("draining");
    const subject = bus.topology.subjects.ingress("pubacks-drain");
    await other.publish(subject, "first", { msgId: "pa-drain-0" });
    const drained = other.nc.drain();
    const late = await outcome(other.publish(subject, "late", { msgId: "pa-drain-1", timeoutMs: 60_000 }));
    await drained;
    expect(late).toMatchObject({
      code: "CAREHUB_ERR_BUS_PUBLISH_FAILED",
      retryable: true,
      cause: { name: "DrainingConnectionError" },
    });
    // Never sent: its dedup id is new to the stream.
    expect(await bus.publish(subject, "late", { msgId: "pa-drain-1" })).toMatchObject({ duplicate: false });
  });

  it("keeps its deadline on the monotonic clock, and takes a timeout of 0 as js.publish's default", async () => {
    // Bugs caught: deadlines on Date.now() — a wall-clock step forward fails every waiting publish at the next
    // sweep; a timeout of 0 failing at the next sweep (js.publish waited its default 5 s).
    const other = await otherBus("clock");
    const zero = outcome(other.publish(`${env.namespace}.silent.c`, "x", { msgId: "pa-zero", timeoutMs: 0 }));
    const long = outcome(other.publish(`${env.namespace}.silent.c`, "x", { msgId: "pa-long", timeoutMs: 60_000 }));
    const wallClock = Date.now;
    Date.now = () => wallClock() + 3_600_000;
    try {
      await expect(
        other.publish(`${env.namespace}.silent.c`, "x", { msgId: "pa-short", timeoutMs: 300 }),
      ).rejects.toMatchObject({ code: "CAREHUB_ERR_BUS_PUBLISH_FAILED" });
      expect(PublishAcks.of(other.nc).waiting).toBe(2);
    } finally {
      Date.now = wallClock;
    }
    await other.nc.close();
    expect(await zero).toMatchObject({ code: "CAREHUB_ERR_BUS_PUBLISH_FAILED", retryable: true });
    expect(await long).toMatchObject({ code: "CAREHUB_ERR_BUS_PUBLISH_FAILED", retryable: true });
  });

  it("takes its acks under the connection's reply prefix", async () => {
    // Bug caught: createInbox() with the default `_INBOX` prefix — a client allowed replies only under its own
    // prefix (the SDK's endpoints) could not subscribe to its acks (nats-core's request uses the connection's).
    const prefix = `_INBOX_${env.namespace.replaceAll(/[^A-Za-z0-9_-]/g, "_")}`;
    const nc = await connect({ servers: sharedNatsUrl(), name: `test-${env.namespace}-prefix`, inboxPrefix: prefix });
    const seen: string[] = [];
    silent.subscribe(`${prefix}.>`, {
      callback: (_error, msg) => {
        seen.push(msg.subject);
      },
    });
    await silent.flush();
    try {
      const subject = bus.topology.subjects.ingress("pubacks-prefix");
      const ack = await publishMessage(nc, subject, "x", { msgId: "pa-prefix" }, NO_AT_REST);
      expect(ack.stream).toBe(bus.topology.streams.ingress);
      await silent.flush();
      expect(seen).toHaveLength(1);
    } finally {
      await nc.close();
    }
  });

  it("fails at once, retryably, when the server does not permit the publish", async () => {
    // Bug caught: the server's permission violation (an -ERR, not a reply) ignored — the publish waits out its
    // timeout (60 s here) instead of failing at once as js.publish's request did.
    const dir = await mkdtemp(join(tmpdir(), "carehub-pubacks-"));
    const config = join(dir, "nats.conf");
    await writeFile(
      config,
      'authorization { users = [ { user: "pub", password: "pub", permissions: { publish: { deny: ["denied.>"] } } } ] }\n',
    );
    const server = await startNatsServer({ jetstream: false, args: ["-c", config] });
    const nc = await connect({ servers: server.url, user: "pub", pass: "pub" });
    try {
      const refused = outcome(
        publishMessage(nc, "denied.x", "x", { msgId: "pa-denied", timeoutMs: 60_000 }, NO_AT_REST),
      );
      expect(await within(10_000, refused)).toMatchObject({
        code: "CAREHUB_ERR_BUS_PUBLISH_FAILED",
        retryable: true,
        cause: { name: "PermissionViolationError" },
      });
      expect(PublishAcks.of(nc).waiting).toBe(0);
    } finally {
      await nc.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

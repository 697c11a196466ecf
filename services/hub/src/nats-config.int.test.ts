import { randomBytes } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, connectBus } from "@carehub/bus";
import { consumeInbox, type ReceivedMessage } from "@carehub/client";
import type { RegistryConfigInput } from "@carehub/schemas";
import { type NatsServerHandle, startNatsServer, testNamespace } from "@carehub/testkit";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, nkeyAuthenticator, nkeys } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCollected } from "./testing.ts";

// A private nats-server whose configuration is infra/nats/nats-auth.conf: infra/nats/nats.conf plus the
// authorization `carehub nats-config` writes from a registry with two endpoints that each hold an nkey.
const namespace = testNamespace("auth");
const hubPassword = randomBytes(18).toString("base64url");
const keyA = nkeys.createUser();
const keyB = nkeys.createUser();
const keyC = nkeys.createUser();
const keyD = nkeys.createUser();
const A = "acute-team-a";
const B = "acute-team-b";
const C = "acute-team-c"; // its inbox consumer is made by the hub (--create-inbox-consumers)
const D = "acute-team-d"; // makes its inbox consumer a push consumer before the hub could
const HUB_ID = "carehub-test-hub";
const EXAMPLE = medcomExamplesDir("oioxml", "XRPT01_2.xml");

let dir: string;
let server: NatsServerHandle;
let hub: Bus;
let endpointA: NatsConnection;
let cliOutput = "";

function registry(): RegistryConfigInput {
  const endpoint = (id: string, sor: string, gln: string, nkey: string) => ({
    id,
    name: id,
    kind: "municipality" as const,
    identifiers: { sor: [sor], gln: [gln] },
    sends: ["homecare-observation" as const, "acknowledgement" as const],
    accepts: ["lab-result" as const, "acknowledgement" as const],
    delivery: { mode: "nats" as const },
    auth: { tokenSha256: [randomBytes(32).toString("hex")], natsNkey: nkey },
  });
  return {
    hub: { id: HUB_ID, name: "test hub", sor: "481521000016007", gln: "5790000199990" },
    endpoints: [
      endpoint(A, "1144561000016002", "5790000123117", keyA.getPublicKey()),
      endpoint(B, "52581000016005", "5790000127092", keyB.getPublicKey()),
      endpoint(C, "161803000016005", "5790000120284", keyC.getPublicKey()),
      endpoint(D, "1001181000016001", "5790000188888", keyD.getPublicKey()),
    ],
  };
}

function connectEndpoint(id: string, key: typeof keyA): Promise<NatsConnection> {
  // What every endpoint does: its own key, replies under its own prefix (the SDK sets both).
  return connect({ servers: server.url, authenticator: nkeyAuthenticator(key.getSeed()), inboxPrefix: `_INBOX_${id}` });
}

function natsConfig(args: string[], env: Record<string, string> = {}) {
  return runCliCollected(["nats-config", ...args], {
    NATS_USER: "carehub-hub",
    NATS_PASS: hubPassword,
    CAREHUB_REGISTRY: join(dir, "endpoints.json"),
    CAREHUB_NAMESPACE: namespace,
    ...env,
  });
}

async function refusal(attempt: () => Promise<unknown>): Promise<string> {
  try {
    await attempt();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return "allowed";
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "carehub-nats-auth-"));
  await writeFile(join(dir, "endpoints.json"), JSON.stringify(registry()));
  const written = await natsConfig(["--out", join(dir, "carehub-auth.conf")]);
  if (written.code !== 0) throw new Error(`carehub nats-config exited ${written.code}: ${written.err}`);
  cliOutput = written.out;
  const infra = new URL("../../../infra/nats/", import.meta.url);
  await copyFile(new URL("nats.conf", infra), join(dir, "nats.conf"));
  await copyFile(new URL("nats-auth.conf", infra), join(dir, "nats-auth.conf"));
  server = await startNatsServer({ args: ["-c", join(dir, "nats-auth.conf")] });
  hub = await connectBus({ servers: server.url, name: "hub-test", namespace, user: "carehub-hub", pass: hubPassword });
  await hub.provision(); // the hub user provisions the streams
  endpointA = await connectEndpoint(A, keyA);
});

afterAll(async () => {
  await endpointA?.close();
  await hub?.drain();
  await server?.stop(); // a private server: its store goes with it
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("carehub nats-config", () => {
  it("writes the file privately and keeps the hub's hash when run again with the same password", async () => {
    const path = join(dir, "carehub-auth.conf");
    expect(cliOutput).toContain("the hub user carehub-hub and 4 endpoint user(s)");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const first = await readFile(path, "utf8");
    expect(first).not.toContain(hubPassword);
    expect((await natsConfig(["--out", path])).code).toBe(0);
    expect(await readFile(path, "utf8")).toBe(first);
  });

  it("refuses to connect without a key the registry lists", async () => {
    const stranger = nkeys.createUser();
    expect(await refusal(() => connectEndpoint("stranger", stranger))).toMatch(/Authorization Violation/i);
    expect(await refusal(() => connect({ servers: server.url }))).toMatch(/Authorization Violation/i);
  });
});

describe("an endpoint with its own NATS credentials", () => {
  it("publishes to its own ingress subject, and the message lands on INGRESS", async () => {
    const ack = await jetstream(endpointA).publish(hub.topology.subjects.ingress(A), "<own message/>", {
      msgID: `a-${randomBytes(4).toString("hex")}`,
    });
    expect(ack.stream).toBe(hub.topology.streams.ingress);
    const stored = await hub.getMessage(hub.topology.streams.ingress, ack.seq);
    expect(stored?.subject).toBe(hub.topology.subjects.ingress(A));
  });

  it("cannot publish as another endpoint, as the hub, or anywhere in the pipeline", async () => {
    const js = jetstream(endpointA);
    const t = hub.topology.subjects;
    for (const subject of [
      t.ingress(B),
      t.ingress(HUB_ID),
      t.pipeline("lab-result"),
      t.outbox(A),
      t.outbox(B),
      t.inbox(B),
      t.events("received"),
      t.dlq("intake"),
      t.status(B),
    ]) {
      expect(await refusal(() => js.publish(subject, "<forged/>", { timeout: 2_000 }))).toContain(
        `Permissions Violation for Publish to "${subject}"`,
      );
    }
    const before = await hub.jsm.streams.info(hub.topology.streams.pipeline);
    endpointA.publish(t.pipeline("lab-result"), "<forged/>"); // plain publish: refused by the server too
    await endpointA.flush().catch(() => undefined);
    expect((await hub.jsm.streams.info(hub.topology.streams.pipeline)).state.messages).toBe(before.state.messages);
  });

  it("consumes its own inbox with the SDK's consumeInbox", async () => {
    const bytes = await readFile(EXAMPLE);
    await hub.publish(hub.topology.subjects.inbox(A), bytes, {
      msgId: "hub-id-1",
      contentType: "application/xml",
      headers: { "Carehub-Hub-Id": "hub-id-1" },
    });
    const handled: ReceivedMessage[] = [];
    const errors: unknown[] = [];
    const inbox = await consumeInbox({
      natsUrl: server.url,
      namespace,
      endpointId: A,
      nkeySeed: new TextDecoder().decode(keyA.getSeed()),
      client: { send: async () => ({ id: "ack-hub-id", messageId: "ack", status: "received", duplicate: false }) },
      onMessage: (received) => void handled.push(received),
      onError: (error) => errors.push(error),
    });
    try {
      await until(() => handled.length === 1, "the inbox message");
      await until(async () => {
        const info = await hub.jsm.consumers.info(hub.topology.streams.inbox, `sdk-${A}`);
        return info.num_ack_pending === 0 && info.num_pending === 0;
      }, "the inbox message acked");
      expect(errors).toEqual([]);
    } finally {
      await inbox.stop();
    }
  });

  it("cannot read another endpoint's inbox in any way", async () => {
    const stream = hub.topology.streams.inbox;
    const endpointB = await connectEndpoint(B, keyB);
    try {
      // B's own durable exists (B is allowed to make it); A may not touch it.
      await (await jetstreamManager(endpointB, { checkAPI: false })).consumers.add(stream, {
        durable_name: `sdk-${B}`,
        ack_policy: AckPolicy.Explicit,
        filter_subject: hub.topology.subjects.inbox(B),
      });
      const jsm = await jetstreamManager(endpointA, { checkAPI: false });
      const violation = /Permissions Violation for Publish/;
      expect(
        await refusal(() =>
          jsm.consumers.add(stream, {
            durable_name: `sdk-${B}`,
            ack_policy: AckPolicy.Explicit,
            filter_subject: hub.topology.subjects.inbox(B),
          }),
        ),
      ).toMatch(violation);
      // Any other name, an ephemeral consumer, the old create API, the whole stream: refused.
      for (const config of [
        { durable_name: `mine-${A}`, filter_subject: hub.topology.subjects.inbox(A) },
        { filter_subject: hub.topology.subjects.inbox(B) },
        { durable_name: `sdk-${A}` },
      ]) {
        expect(await refusal(() => jsm.consumers.add(stream, { ack_policy: AckPolicy.Explicit, ...config }))).toMatch(
          violation,
        );
      }
      expect(
        await refusal(() => endpointA.request(`$JS.API.CONSUMER.DURABLE.CREATE.${stream}.sdk-${A}`, "{}")),
      ).toMatch(violation);
      // Its own consumer name on B's subject: the create subject names A's inbox, so the server refuses the body.
      const forged = await endpointA.request(
        `$JS.API.CONSUMER.CREATE.${stream}.sdk-${A}.${hub.topology.subjects.inbox(A)}`,
        JSON.stringify({
          stream_name: stream,
          config: { durable_name: `sdk-${A}`, filter_subject: hub.topology.subjects.inbox(B), ack_policy: "explicit" },
        }),
      );
      expect(forged.string()).toContain("did not match filtered subject");
      // Pulling from B's consumer, reading B's messages directly, deleting B's consumer: refused.
      expect(await refusal(() => jetstream(endpointA).consumers.get(stream, `sdk-${B}`))).toMatch(violation);
      expect(await refusal(() => endpointA.request(`$JS.API.CONSUMER.MSG.NEXT.${stream}.sdk-${B}`, "{}"))).toMatch(
        violation,
      );
      expect(await refusal(() => jsm.streams.getMessage(stream, { seq: 1 }))).toMatch(violation);
      expect(await refusal(() => jsm.consumers.delete(stream, `sdk-${B}`))).toMatch(violation);
      expect(await refusal(() => jsm.streams.info(stream))).toMatch(violation);
    } finally {
      await endpointB.close();
    }
  });

  it("receives its own status announcements and replies, and cannot subscribe to anyone else's", async () => {
    const own = endpointA.subscribe(hub.topology.subjects.status(A), { max: 1 });
    await endpointA.flush();
    hub.nc.publish(hub.topology.subjects.status(A), "booked");
    for await (const message of own) expect(message.string()).toBe("booked");
    for (const subject of [hub.topology.subjects.status(B), "_INBOX.>", `_INBOX_${B}.>`, `${namespace}.>`, ">"]) {
      const subscription = endpointA.subscribe(subject);
      const stillOpen = new Promise<string>((resolve) => setTimeout(() => resolve("still subscribed"), 2_000).unref());
      const closed = await Promise.race([subscription.closed.then(String), stillOpen]);
      subscription.unsubscribe();
      expect(closed).toContain(`Permissions Violation for Subscription to "${subject}"`);
    }
  });
});

describe("the hub user", () => {
  it("publishes anywhere in its namespace and consumes with durable consumers", async () => {
    const t = hub.topology;
    await hub.publish(t.subjects.pipeline("lab-result"), "{}", { msgId: "p-1", contentType: "application/json" });
    await hub.publish(t.subjects.outbox(B), "<x/>", { msgId: "o-1", contentType: "application/xml" });
    await hub.publish(t.subjects.ingress(HUB_ID), "<x/>", { msgId: "i-1", contentType: "application/xml" });
    const seen: string[] = [];
    const consumer = await hub.consume({
      stream: t.streams.outbox,
      durable: "dispatcher-test",
      stage: "dispatcher",
      handler: async (message) => {
        seen.push(message.subject);
      },
    });
    try {
      await until(() => seen.length === 1, "the outbox message");
      expect(seen).toEqual([t.subjects.outbox(B)]);
    } finally {
      await consumer.stop();
    }
  });
});

describe("carehub nats-config --create-inbox-consumers", () => {
  it("makes each endpoint's inbox consumer a pull consumer as the hub, so the endpoint cannot make it push", async () => {
    // D got there first: its credentials let it make sdk-D a push consumer delivering where it likes.
    const endpointD = await connectEndpoint(D, keyD);
    try {
      const stream = hub.topology.streams.inbox;
      const pushed = await endpointD.request(
        `$JS.API.CONSUMER.CREATE.${stream}.sdk-${D}.${hub.topology.subjects.inbox(D)}`,
        JSON.stringify({
          stream_name: stream,
          config: {
            durable_name: `sdk-${D}`,
            filter_subject: hub.topology.subjects.inbox(D),
            deliver_subject: hub.topology.subjects.status(D),
            ack_policy: "explicit",
          },
        }),
      );
      expect(pushed.string()).not.toContain('"error"');
      const path = join(dir, "carehub-auth.conf");
      const before = await readFile(path, "utf8");
      const refused = await natsConfig(["--create-inbox-consumers", "--out", path], { NATS_URL: server.url });
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(`${stream} > sdk-${D} is a push consumer (delivering to ${namespace}.status.${D})`);
      expect(await readFile(path, "utf8")).toBe(before);

      await hub.jsm.consumers.delete(stream, `sdk-${D}`); // what the operator is told to do
      const run = await natsConfig(["--create-inbox-consumers", "--out", path], { NATS_URL: server.url });
      expect(run.code).toBe(0);
      // A and B made theirs earlier in this file (pull consumers, through the SDK or the same way); the refused
      // run already made C's (a pull consumer is always safe to make), only the file waited.
      expect(run.err).toContain(`inbox consumers: created sdk-${D}; present sdk-${A}, sdk-${B}, sdk-${C}`);
      expect((await hub.jsm.consumers.info(stream, `sdk-${C}`)).config.deliver_subject).toBeUndefined();

      // Now the endpoint's push create is an update of a pull consumer: refused by the server.
      const again = await endpointD.request(
        `$JS.API.CONSUMER.CREATE.${stream}.sdk-${D}.${hub.topology.subjects.inbox(D)}`,
        JSON.stringify({
          stream_name: stream,
          config: {
            durable_name: `sdk-${D}`,
            filter_subject: hub.topology.subjects.inbox(D),
            deliver_subject: hub.topology.subjects.status(D),
            ack_policy: "explicit",
          },
        }),
      );
      expect(again.string()).toContain('"error"');
      expect((await hub.jsm.consumers.info(stream, `sdk-${D}`)).config.deliver_subject).toBeUndefined();
    } finally {
      await endpointD.close();
    }
  });

  it("leaves a consumer the hub made usable by the SDK", async () => {
    await hub.publish(hub.topology.subjects.inbox(C), await readFile(EXAMPLE), {
      msgId: "hub-id-c",
      contentType: "application/xml",
    });
    const handled: ReceivedMessage[] = [];
    const inbox = await consumeInbox({
      natsUrl: server.url,
      namespace,
      endpointId: C,
      nkeySeed: keyC.getSeed(),
      client: { send: async () => ({ id: "ack-c", messageId: "ack", status: "received", duplicate: false }) },
      onMessage: (received) => void handled.push(received),
    });
    try {
      await until(() => handled.length === 1, "the message in C's inbox");
    } finally {
      await inbox.stop();
    }
  });
});

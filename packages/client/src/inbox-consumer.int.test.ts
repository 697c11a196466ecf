import { randomBytes } from "node:crypto";
import { sharedNatsUrl } from "@carehub/testkit";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "./hub-client.ts";
import { consumeInbox, inboxNames } from "./inbox-consumer.ts";
import { careCommunication, labReport } from "./medcom-fixtures.test-support.ts";
import { startRecordingGateway } from "./recording-gateway.test-support.ts";

// Against the real NATS (NATS_URL): the SDK's durable pull consumer on an endpoint's inbox stream, which
// the hub's provisioning would create; here the test creates it in its own namespace and deletes it after.
const natsUrl = sharedNatsUrl();
const namespace = `t-${randomBytes(5).toString("hex")}`;
const endpointId = "laegehuset-test";
const { stream, subject } = inboxNames(namespace, endpointId);

let nc: NatsConnection;
let jsm: JetStreamManager;
let gateway: Awaited<ReturnType<typeof startRecordingGateway>>;

beforeAll(async () => {
  nc = await connect({ servers: natsUrl });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${namespace}.inbox.>`] });
  gateway = await startRecordingGateway();
});

afterAll(async () => {
  await jsm?.streams.delete(stream).catch(() => undefined);
  await nc?.drain();
  await gateway?.close();
});

async function publish(body: string | Uint8Array, contentType: string, hubId: string, chunk?: string) {
  const h = headers();
  h.set("Content-Type", contentType);
  h.set("Carehub-Hub-Id", hubId);
  h.set("Nats-Msg-Id", chunk === undefined ? hubId : `${hubId}:${chunk}:${randomBytes(4).toString("hex")}`);
  if (chunk !== undefined) h.set("Carehub-Chunk", chunk);
  await jetstream(nc).publish(subject, body, { headers: h });
}

async function until(condition: () => Promise<boolean> | boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("consumeInbox (real NATS)", () => {
  it("hands each message to the application once, in order, acknowledges it once, and settles every stream message", async () => {
    const handled: string[] = [];
    const errors: unknown[] = [];
    const subscription = await consumeInbox({
      natsUrl,
      namespace,
      endpointId,
      client: createClient({ baseUrl: gateway.url, token: "t" }),
      onMessage: (received) => void handled.push(received.message.messageId),
      onError: (error) => errors.push(error),
      retryDelayMs: 100,
    });
    try {
      await publish(careCommunication("mh-1", "b-1"), "application/fhir+json", "h1");
      await publish(labReport("L1", true), "application/xml", "h2");
      // The same message again under another hub id (a sender's resend that got through): a duplicate.
      await publish(careCommunication("mh-1", "b-2"), "application/fhir+json", "h3");
      await publish("{broken", "application/fhir+json", "h4");
      gateway.refuseNext(1);
      await publish(careCommunication("mh-2", "b-5"), "application/fhir+json", "h5");

      const consumer = await jsm.consumers.info(stream, `sdk-${endpointId}`);
      expect(consumer.config.filter_subject).toBe(subject);
      await until(async () => {
        const info = await jsm.consumers.info(stream, `sdk-${endpointId}`);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      }, "every inbox message settled");

      expect(handled).toEqual(["mh-1", "L1", "mh-2"]);
      const acks = gateway.parsed();
      const respondsTo = acks.map((a) => (a.content.kind === "acknowledgement" ? a.content.respondsTo : ""));
      // mh-1 twice (the duplicate gets the same acknowledgement again), L1 once, mh-2 once (after a nak).
      expect(respondsTo.sort()).toEqual(["L1", "mh-1", "mh-1", "mh-2"]);
      const forMh1 = acks.filter((a) => a.content.kind === "acknowledgement" && a.content.respondsTo === "mh-1");
      expect(forMh1[0]?.messageId).toBe(forMh1[1]?.messageId);
      expect(errors.map((e) => (e as { code?: string }).code).sort()).toEqual([
        "CAREHUB_ERR_CLIENT_UNREADABLE_DELIVERY",
        "CAREHUB_ERR_GATEWAY_UNAVAILABLE",
      ]);
    } finally {
      await subscription.stop();
    }
  });

  it("resumes from the durable consumer after a restart without handling anything twice", async () => {
    const handled: string[] = [];
    const start = () =>
      consumeInbox({
        natsUrl,
        namespace,
        endpointId,
        client: createClient({ baseUrl: gateway.url, token: "t" }),
        onMessage: (received) => void handled.push(received.message.messageId),
      });
    await publish(careCommunication("mh-10", "b-10"), "application/fhir+json", "h10");
    const first = await start();
    await until(() => handled.length === 1, "the first message");
    await first.stop();
    await publish(careCommunication("mh-11", "b-11"), "application/fhir+json", "h11");
    const second = await start();
    try {
      await until(() => handled.length === 2, "the second message");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(handled).toEqual(["mh-10", "mh-11"]);
    } finally {
      await second.stop();
    }
  });

  it("joins a message delivered in parts, interleaved with another's and with a part sent twice, and settles every part", async () => {
    const handled: Array<{ id: string; bytes: number }> = [];
    const big = new TextEncoder().encode(careCommunication("mh-20", "b-20"));
    const other = new TextEncoder().encode(careCommunication("mh-21", "b-21"));
    const third = (bytes: Uint8Array, n: number) =>
      bytes.subarray(Math.floor((bytes.length * n) / 3), Math.floor((bytes.length * (n + 1)) / 3));
    await publish(third(big, 0), "application/fhir+json", "h20", "1/3");
    await publish(third(other, 0), "application/fhir+json", "h21", "1/2");
    await publish(third(big, 1), "application/fhir+json", "h20", "2/3");
    await publish(third(big, 1), "application/fhir+json", "h20", "2/3"); // a retry's repeat after the window
    await publish(other.subarray(third(other, 0).length), "application/fhir+json", "h21", "2/2");
    await publish(third(big, 2), "application/fhir+json", "h20", "3/3");
    const subscription = await consumeInbox({
      natsUrl,
      namespace,
      endpointId,
      client: createClient({ baseUrl: gateway.url, token: "t" }),
      onMessage: (received) => void handled.push({ id: received.message.messageId, bytes: received.body.byteLength }),
    });
    try {
      await until(async () => {
        const info = await jsm.consumers.info(stream, `sdk-${endpointId}`);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      }, "every part settled");
      expect(handled).toEqual([
        { id: "mh-21", bytes: other.byteLength },
        { id: "mh-20", bytes: big.byteLength },
      ]);
    } finally {
      await subscription.stop();
    }
  });
});

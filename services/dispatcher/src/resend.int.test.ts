import type { Bus } from "@carehub/bus";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanupTestNamespace,
  connectTestBus,
  connectTestRedis,
  EventCollector,
  SwappableRegistry,
  TestReceiver,
  testEndpoint,
  testNamespace,
  testRegistry,
  toOutbox,
  waitFor,
} from "../test/support.ts";
import { dispatchKeys } from "./dispatch-keys.ts";
import { type RunningDispatcher, startDispatcher } from "./dispatcher.ts";
import { resendDelivered } from "./resend.ts";

/**
 * An operator's re-send of a delivered message (docs/decisions/0072), on real NATS and Redis: a second delivery
 * to the ONE receiver named, linked to the original, while the copy it creates is still delivered at most once.
 */
const ns = testNamespace("resend");
let bus: Bus;
let redis: Redis;
let events: EventCollector;
let dispatcher: RunningDispatcher;
let a: TestReceiver;
let b: TestReceiver;
const registry = new SwappableRegistry(testRegistry([testEndpoint("placeholder")]));
const keys = dispatchKeys(ns);
const resend = (hubIds: string[], endpoint: string) =>
  resendDelivered({ bus, redis, keys }, { hubIds, endpoint, limit: 10 });

let sequence = 0;
const hubId = (label: string) => `${label}-${++sequence}-${Date.now()}`;

/** The requests receiver `r` got for `id`. */
const requestsFor = (r: TestReceiver, id: string) => r.requests.filter((q) => q.headers["carehub-hub-id"] === id);

async function idle(endpoint: string): Promise<void> {
  await waitFor(async () => {
    const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, `dispatch-${endpoint}`);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, `dispatch-${endpoint} to be idle`);
}

/** One message routed to both receivers and delivered to both. */
async function deliveredToBoth(): Promise<string> {
  const id = hubId("both");
  await toOutbox(bus, "ep-a", id, { body: "<first/>" });
  await toOutbox(bus, "ep-b", id, { body: "<first/>" });
  await waitFor(() => events.of("delivered", id).length === 2 || undefined, "delivered to both receivers");
  return id;
}

beforeAll(async () => {
  bus = await connectTestBus(ns);
  redis = connectTestRedis();
  events = new EventCollector(bus);
  a = await TestReceiver.start();
  b = await TestReceiver.start();
  const http = (r: TestReceiver) => ({ delivery: { mode: "http" as const, url: r.url, timeoutMs: 5_000 } });
  registry.set(
    testRegistry([testEndpoint("ep-a", http(a)), testEndpoint("ep-b", http(b)), testEndpoint("ep-nats-inbox")]),
  );
  dispatcher = await startDispatcher({
    bus,
    redis,
    registry,
    options: { predecessorPollMs: 40, pollScheduleMs: [40, 80], concurrency: 4, registryPollMs: 100 },
  });
});

afterAll(async () => {
  events?.close();
  await dispatcher?.stop();
  await a?.close();
  await b?.close();
  await cleanupTestNamespace(bus, redis, ns);
});

describe("re-send of a delivered message", () => {
  it("delivers it a second time to the named receiver only, marked as a re-send and linked to the original", async () => {
    const id = await deliveredToBoth();
    expect(await resend([id], "ep-a")).toEqual({ resent: 1, hubIds: [id], skipped: [] });

    // Catches the re-send stopped by the first delivery's marker (one marker field for every copy).
    await waitFor(() => requestsFor(a, id).length === 2 || undefined, "the re-send delivered to ep-a");
    const [first, again] = requestsFor(a, id);
    expect(again?.body.toString()).toBe("<first/>");
    expect(again?.headers).toMatchObject({ "carehub-message-id": `msg-${id}`, "carehub-resend": "1" });
    expect(first?.headers["carehub-resend"]).toBeUndefined();

    // Linked in the timeline (`replayed`), and a delivered event of its own beside the first one's.
    const replayed = await waitFor(() => events.of("replayed", id)[0], "the replayed event");
    expect(replayed).toMatchObject({ eventId: `${id}:replayed:ep-a:resend-1`, originalHubId: id });
    const delivered = await waitFor(
      () => (events.of("delivered", id).length === 3 ? events.of("delivered", id) : undefined),
      "the re-send's delivered event",
    );
    expect(delivered.map((e) => e.eventId).sort()).toEqual(
      [`${id}:delivered:ep-a`, `${id}:delivered:ep-a:resend-1`, `${id}:delivered:ep-b`].sort(),
    );
    expect(await redis.hexists(keys.markers(id), keys.deliveredField("ep-a", 1))).toBe(1);

    // Catches a re-send that goes to every receiver of the message: ep-b got it once, and nothing waits for it.
    await idle("ep-b");
    expect(requestsFor(b, id)).toHaveLength(1);
  });

  it("still delivers the re-send copy at most once, and numbers the next re-send afresh", async () => {
    const id = await deliveredToBoth();
    await resend([id], "ep-a");
    await waitFor(() => requestsFor(a, id).length === 2 || undefined, "the re-send delivered");

    // A redelivery of re-send 1 (as a redrive, or a crash before the ack, would make it: a new OUTBOX copy with
    // the same re-send number). Catches a dispatcher that lets re-send copies past the delivered marker.
    const copy = await bus.publish(bus.topology.subjects.outbox("ep-a"), "<first/>", {
      msgId: `${id}:ep-a:resend-1:again`,
      contentType: "application/xml",
      headers: {
        "Carehub-Hub-Id": id,
        "Carehub-Source-Endpoint": "sender-x",
        "Carehub-Message-Id": `msg-${id}`,
        "Carehub-Receiver": "ep-a",
        "Carehub-Kind": "lab-result",
        "Carehub-Resend": "1",
      },
    });
    expect(copy.seq).toBeGreaterThan(0);
    await idle("ep-a");
    expect(requestsFor(a, id)).toHaveLength(2);

    // A second re-send is number 2 (catches a counter that re-uses 1, which the marker would then swallow).
    await resend([id], "ep-a");
    await waitFor(() => requestsFor(a, id).length === 3 || undefined, "re-send 2 delivered");
    expect(requestsFor(a, id)[2]?.headers["carehub-resend"]).toBe("2");
    await idle("ep-b");
    expect(requestsFor(b, id)).toHaveLength(1);
  });

  it("sends nothing for a message not delivered to the named receiver", async () => {
    const id = hubId("only-a");
    await toOutbox(bus, "ep-a", id);
    await waitFor(() => events.of("delivered", id)[0], "delivered to ep-a");
    // Catches a re-send to a receiver the message never had (the caller names the receiver; the hub checks it).
    expect(await resend([id, "never-seen"], "ep-b")).toEqual({ resent: 0, hubIds: [], skipped: [id, "never-seen"] });
    await idle("ep-b");
    expect(requestsFor(b, id)).toHaveLength(0);
    expect(events.of("replayed", id)).toHaveLength(0);
  });

  it("is stored in a NATS receiver's inbox beside the first delivery, not dropped as its duplicate", async () => {
    const id = hubId("inbox");
    await toOutbox(bus, "ep-nats-inbox", id);
    await waitFor(() => events.of("delivered", id)[0], "delivered to the inbox");
    await resend([id], "ep-nats-inbox");
    await waitFor(() => (events.of("delivered", id).length === 2 ? true : undefined), "the re-send delivered");
    // Catches the inbox's dedup id left at the hub id: the stream would drop the re-send inside its window.
    const last = await bus.jsm.streams.getMessage(bus.topology.streams.inbox, {
      last_by_subj: bus.topology.subjects.inbox("ep-nats-inbox"),
    });
    expect(last?.header.get("Carehub-Hub-Id")).toBe(id);
    expect(last?.header.get("Carehub-Resend")).toBe("1");
  });
});

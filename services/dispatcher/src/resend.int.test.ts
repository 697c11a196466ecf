import { randomUUID } from "node:crypto";
import { encodeDeliveryRecord } from "@carehub/ledger";
import type { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dispatcherTestbed,
  FAST_DISPATCH,
  httpDelivery,
  SwappableRegistry,
  type TestReceiver,
  testEndpoint,
  testRegistry,
  waitFor,
} from "../test/support.ts";
import { dispatchKeys } from "./dispatch-keys.ts";
import { resendDelivered } from "./resend.ts";

/**
 * An operator's re-send of a delivered message (docs/decisions/0072), on real NATS and Redis: a second delivery
 * to the ONE receiver named, linked to the original, while the copy it creates is still delivered at most once.
 */
const bed = dispatcherTestbed("resend");
let a: TestReceiver;
let b: TestReceiver;
const registry = new SwappableRegistry(testRegistry([testEndpoint("placeholder")]));
const keys = dispatchKeys(bed.ns);
/** The retention the re-sends are given (the dispatcher's marker lifetime): a week, to tell it from the default. */
const TTL_SECONDS = 7 * 86_400;
const resend = (hubIds: string[], endpoint: string, redis: Redis = bed.redis) =>
  resendDelivered({ bus: bed.bus, redis, keys, ttlSeconds: TTL_SECONDS }, { hubIds, endpoint, limit: 10 });

let sequence = 0;
const hubId = (label: string) => `${label}-${++sequence}-${Date.now()}`;

/** The requests receiver `r` got for `id`. */
const requestsFor = (r: TestReceiver, id: string) => r.requests.filter((q) => q.headers["carehub-hub-id"] === id);

/** One message routed to both receivers and delivered to both. */
async function deliveredToBoth(): Promise<string> {
  const id = hubId("both");
  await bed.toOutbox("ep-a", id, { body: "<first/>" });
  await bed.toOutbox("ep-b", id, { body: "<first/>" });
  await waitFor(() => bed.events.of("delivered", id).length === 2 || undefined, "delivered to both receivers");
  return id;
}

beforeAll(async () => {
  a = await bed.receiver();
  b = await bed.receiver();
  registry.set(
    testRegistry([
      testEndpoint("ep-a", httpDelivery(a)),
      testEndpoint("ep-b", httpDelivery(b)),
      testEndpoint("ep-nats-inbox"),
    ]),
  );
  await bed.dispatcher({ registry, options: FAST_DISPATCH });
});

describe("re-send of a message an older release delivered (its marker hash under the whole hub id, 0119)", () => {
  // Catches: a re-send that reads the marker hash under its new name alone (the message "not delivered", skipped),
  // or numbers afresh from 1 what an older release re-sent already — re-send 1's delivered field is then taken and
  // the new copy dropped as delivered.
  it("finds the delivered copy there and numbers the re-send after the older release's", async () => {
    const id = randomUUID();
    await bed.toOutbox("ep-a", id, { body: "<older/>" });
    await waitFor(() => bed.events.of("delivered", id)[0], "delivered");
    // As an older release left it: the same fields under the whole hub id, re-sent once already.
    await bed.redis.rename(keys.markers(id), keys.formerMarkers(id));
    await bed.redis.hset(
      keys.formerMarkers(id),
      keys.resendsField("ep-a"),
      "1",
      keys.deliveredField("ep-a", 1),
      "1,3,1796634622688",
    );

    expect(await resend([id], "ep-a")).toEqual({ resent: 1, hubIds: [id], skipped: [] });
    await waitFor(() => requestsFor(a, id).length === 2 || undefined, "the re-send delivered to ep-a");
    expect(requestsFor(a, id)[1]?.headers).toMatchObject({ "carehub-resend": "2" });
    expect(await bed.redis.hget(keys.markers(id), keys.resendsField("ep-a"))).toBe("2");
  });
});

describe("the lifetime of a marker hash a re-send creates (0119)", () => {
  /*
   * A message an older release delivered to `ep-idle`, which has no dispatcher here: its re-send stays queued, so
   * the hash's lifetime is the one the re-send gave it (a delivery would set it to the retention again). As an
   * older release left it: the delivered field, naming the OUTBOX copy, in the hash under the whole hub id.
   */
  async function deliveredByAnOlderRelease(id: string): Promise<void> {
    const copy = await bed.toOutbox("ep-idle", id, { body: "<older/>" });
    const record = encodeDeliveryRecord({ attempt: 1, durationMs: 3, at: new Date().toISOString(), copy });
    await bed.redis.hset(keys.formerMarkers(id), keys.deliveredField("ep-idle"), record);
  }

  // Catches: a re-send that creates the new hash with no expiry (the PEXPIRE left out) — kept for ever unless the
  // re-send is delivered, while the older hash it stands beside expires.
  it("lives as long as the older hash when that one still lives", async () => {
    const id = randomUUID();
    await deliveredByAnOlderRelease(id);
    await bed.redis.pexpire(keys.formerMarkers(id), 3_600_000);

    expect(await resend([id], "ep-idle")).toEqual({ resent: 1, hubIds: [id], skipped: [] });
    // Expiry times (epoch ms), not TTLs: two TTLs read one after the other differ by the time between the reads.
    const expiresAt = async (key: string) => Number(await bed.redis.call("PEXPIRETIME", key));
    const older = await expiresAt(keys.formerMarkers(id));
    expect(older).toBeGreaterThan(Date.now() + 3_000_000);
    expect(Math.abs((await expiresAt(keys.markers(id))) - older)).toBeLessThanOrEqual(10);
    expect(await bed.redis.hget(keys.markers(id), keys.resendsField("ep-idle"))).toBe("1");
  });

  // Catches: the older hash expiring between the read that found the delivered copy and the script that numbers the
  // re-send — the script's HINCRBY then made a hash that never expires (nothing to take the lifetime from). Also a
  // hub id that is not a UUID, whose marker hash has one name in both releases (the script's two keys are one).
  it("lives for the retention when the older hash expired just before it was numbered", async () => {
    for (const id of [randomUUID(), hubId("plain")]) {
      await deliveredByAnOlderRelease(id);
      await bed.redis.pexpire(keys.formerMarkers(id), 3_600_000);
      // The older hash expires after the re-send read it and before it is numbered (the script is its next command).
      const expiring = new Proxy(bed.redis, {
        get(target, property) {
          if (property === "eval") {
            return async (...args: Parameters<Redis["eval"]>) => {
              await target.del(keys.formerMarkers(id));
              return target.eval(...args);
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });

      expect(await resend([id], "ep-idle", expiring)).toEqual({ resent: 1, hubIds: [id], skipped: [] });
      const ttl = await bed.redis.pttl(keys.markers(id));
      expect(ttl).toBeGreaterThan(TTL_SECONDS * 1000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    }
  });
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
    const replayed = await waitFor(() => bed.events.of("replayed", id)[0], "the replayed event");
    expect(replayed).toMatchObject({ eventId: `${id}:replayed:ep-a:resend-1`, originalHubId: id });
    const delivered = await waitFor(
      () => (bed.events.of("delivered", id).length === 3 ? bed.events.of("delivered", id) : undefined),
      "the re-send's delivered event",
    );
    expect(delivered.map((e) => e.eventId).sort()).toEqual(
      [`${id}:delivered:ep-a`, `${id}:delivered:ep-a:resend-1`, `${id}:delivered:ep-b`].sort(),
    );
    expect(await bed.redis.hexists(keys.markers(id), keys.deliveredField("ep-a", 1))).toBe(1);

    // Catches a re-send that goes to every receiver of the message: ep-b got it once, and nothing waits for it.
    await bed.idle("ep-b");
    expect(requestsFor(b, id)).toHaveLength(1);
  });

  it("still delivers the re-send copy at most once, and numbers the next re-send afresh", async () => {
    const id = await deliveredToBoth();
    await resend([id], "ep-a");
    await waitFor(() => requestsFor(a, id).length === 2 || undefined, "the re-send delivered");

    // A redelivery of re-send 1 (as a redrive, or a crash before the ack, would make it: a new OUTBOX copy with
    // the same re-send number). Catches a dispatcher that lets re-send copies past the delivered marker.
    const copy = await bed.bus.publish(bed.bus.topology.subjects.outbox("ep-a"), "<first/>", {
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
    await bed.idle("ep-a");
    expect(requestsFor(a, id)).toHaveLength(2);

    // A second re-send is number 2 (catches a counter that re-uses 1, which the marker would then swallow).
    await resend([id], "ep-a");
    await waitFor(() => requestsFor(a, id).length === 3 || undefined, "re-send 2 delivered");
    expect(requestsFor(a, id)[2]?.headers["carehub-resend"]).toBe("2");
    await bed.idle("ep-b");
    expect(requestsFor(b, id)).toHaveLength(1);
  });

  it("sends nothing for a message not delivered to the named receiver", async () => {
    const id = hubId("only-a");
    await bed.toOutbox("ep-a", id);
    await waitFor(() => bed.events.of("delivered", id)[0], "delivered to ep-a");
    // Catches a re-send to a receiver the message never had (the caller names the receiver; the hub checks it).
    expect(await resend([id, "never-seen"], "ep-b")).toEqual({ resent: 0, hubIds: [], skipped: [id, "never-seen"] });
    await bed.idle("ep-b");
    expect(requestsFor(b, id)).toHaveLength(0);
    expect(bed.events.of("replayed", id)).toHaveLength(0);
  });

  it("is stored in a NATS receiver's inbox beside the first delivery, not dropped as its duplicate", async () => {
    const id = hubId("inbox");
    await bed.toOutbox("ep-nats-inbox", id);
    await waitFor(() => bed.events.of("delivered", id)[0], "delivered to the inbox");
    await resend([id], "ep-nats-inbox");
    await waitFor(() => (bed.events.of("delivered", id).length === 2 ? true : undefined), "the re-send delivered");
    // Catches the inbox's dedup id left at the hub id: the stream would drop the re-send inside its window.
    const last = await bed.bus.jsm.streams.getMessage(bed.bus.topology.streams.inbox, {
      last_by_subj: bed.bus.topology.subjects.inbox("ep-nats-inbox"),
    });
    expect(last?.header.get("Carehub-Hub-Id")).toBe(id);
    expect(last?.header.get("Carehub-Resend")).toBe("1");
  });
});

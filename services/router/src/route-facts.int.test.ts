import { randomUUID } from "node:crypto";
import { encodeFirstCopy, MessageLedger } from "@carehub/ledger";
import { startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINTS, envelope, fixtureRegistry, partyOf } from "../test/fixtures.ts";
import { connectTestRedis, testNamespace } from "../test/support.ts";
import {
  type FactReader,
  loadRouteFacts,
  planFactLookups,
  type ReceiverMarks,
  receiverMarks,
  redisFactReader,
  writeReceiverMarks,
} from "./route-facts.ts";
import { isRouted } from "./route-message.ts";
import { routerKeys } from "./router-keys.ts";

const ns = testNamespace("route-facts");
const keys = routerKeys(ns);
const registry = fixtureRegistry();
let redis: Redis;
let calls = 0;
/** The real Redis, counting round trips: every fact a decision needs must come back in one. */
let scriptCalls = 0;
const reader: FactReader = {
  readFacts: (keys, args, marks) => {
    calls += 1;
    scriptCalls += 1;
    return redisFactReader(redis).readFacts(keys, args, marks);
  },
  readValues: (keys, marks) => {
    calls += 1;
    return redisFactReader(redis).readValues(keys, marks);
  },
};

/** practice-b's acknowledgement of practice-a's message `id`. */
function ackOf(id: string): ReturnType<typeof envelope> {
  return envelope({
    sourceEndpoint: "practice-b",
    kind: "acknowledgement",
    content: { kind: "acknowledgement", code: "ok", respondsTo: id, issues: [] },
    receivers: [partyOf(ENDPOINTS.practiceA, "gln")],
  });
}

async function load(message: ReturnType<typeof envelope>, marks?: ReceiverMarks) {
  calls = 0;
  const facts = await loadRouteFacts(reader, keys, message, planFactLookups(message, registry), marks);
  expect(calls).toBe(1);
  return facts;
}

/** practice-b's acknowledgement of practice-a's `id` is matched to `hubId`, which the hub routed to `routedTo`. */
async function expectAcknowledged(id: string, hubId: string, routedTo: string[]): Promise<void> {
  const facts = await load(ackOf(id));
  expect(facts.acknowledgedHubId).toBe(hubId);
  expect([...(facts.acknowledgedRoutedTo ?? [])]).toEqual(routedTo);
}

beforeAll(() => {
  redis = connectTestRedis();
});
afterAll(async () => {
  const stale = await redis.keys(`${ns}:*`);
  if (stale.length > 0) await redis.del(...stale);
  await redis.quit();
});

describe("loadRouteFacts against Redis", () => {
  // Catches: a message that follows nothing read through the script (a Lua call on every message) or its loop
  // markers not read at all.
  it("reads the loop markers of a message that follows nothing with a plain MGET, no script", async () => {
    const passedOn = envelope({ links: { forwards: { messageId: "F1" } } });
    await redis.set(keys.received("practice-a", "F1"), "h-f1");
    scriptCalls = 0;
    expect((await load(passedOn)).receivedBySource).toEqual(new Set(["F1"]));
    expect((await load(envelope())).receivedBySource).toEqual(new Set());
    expect(scriptCalls).toBe(0);
    expect((await load(ackOf("F1"))).receivedBySource).toEqual(new Set());
    expect(scriptCalls).toBe(1);
  });

  // Catches: the receivers' marks (decision 0102) costing a round trip of their own, or written before the read —
  // a message would then read its own mark as the hub's fact (a redelivered one found "received by its sender").
  it("writes receivers' marks in the facts' round trip, after the read, with the script and without", async () => {
    for (const message of [envelope(), ackOf("never-sent")]) {
      const marked = [
        keys.received(message.sourceEndpoint, message.messageId),
        keys.received("practice-b", message.messageId),
      ];
      const facts = await load(message, { keys: marked, value: keys.receivedMark, ttlSeconds: 60 });
      expect(facts.receivedBySource).toEqual(new Set());
      expect(await redis.mget(...marked)).toEqual([keys.receivedMark, keys.receivedMark]);
      expect(await redis.ttl(marked[1] as string)).toBeGreaterThan(0);
    }
  });

  // Catches: the one writer of received markers (route() uses it for a rule's copy or a letter) writing a marker
  // without its expiry — kept for ever, one key per receiver and message — or under another spelling of the key.
  it("writes each receiver's marker under the ledger's key, with the ledger's value and the facts' lifetime", async () => {
    const marks = receiverMarks(
      keys,
      [
        { endpoint: "databank", messageId: "W1" },
        { endpoint: "practice-b", messageId: "L-W1" },
      ],
      120,
    );
    expect(marks.keys).toEqual([keys.received("databank", "W1"), keys.received("practice-b", "L-W1")]);
    await writeReceiverMarks(redis, marks);
    expect(await redis.mget(...marks.keys)).toEqual([keys.receivedMark, keys.receivedMark]);
    for (const key of marks.keys) expect(await redis.ttl(key)).toBeGreaterThan(60);
    for (const key of marks.keys) expect(await redis.ttl(key)).toBeLessThanOrEqual(120);
  });

  it("reads an acknowledged message and whom the hub routed it to in the same round trip", async () => {
    await redis.set(keys.messageId("practice-a", "M1"), "h-m1");
    await redis.hset(keys.markers("h-m1"), keys.routedField, JSON.stringify(["municipality-m", "databank"]));
    const facts = await load(ackOf("M1"));
    expect(facts.acknowledgedHubId).toBe("h-m1");
    expect([...(facts.acknowledgedRoutedTo ?? [])]).toEqual(["municipality-m", "databank"]);
  });

  // Catches: a first copy kept as its INGRESS position alone (docs/decisions/0082) read as the hub id "7" (or as
  // none): an acknowledgement of the message refused, a correction routed nowhere, its order after the original lost.
  it("reads first copies kept as their position alone, with the routed marker of the hub id their key derives", async () => {
    const acknowledgedHubId = keys.derivedHubId("practice-a", "P1");
    await redis.set(
      keys.messageId("practice-a", "P1"),
      encodeFirstCopy({ hubId: acknowledgedHubId, seq: 7 }, acknowledgedHubId),
    );
    expect(await redis.get(keys.messageId("practice-a", "P1"))).toBe("7");
    await redis.hset(keys.markers(acknowledgedHubId), keys.routedField, JSON.stringify(["practice-b"]));
    const acknowledgement = await load(ackOf("P1"));
    expect(acknowledgement.acknowledgedHubId).toBe(acknowledgedHubId);
    expect([...(acknowledgement.acknowledgedRoutedTo ?? [])]).toEqual(["practice-b"]);

    const originalHubId = keys.derivedHubId("practice-a", "P2");
    await redis.set(
      keys.messageId("practice-a", "P2"),
      encodeFirstCopy({ hubId: originalHubId, seq: 8 }, originalHubId),
    );
    await redis.hset(keys.markers(originalHubId), keys.routedField, JSON.stringify(["municipality-m"]));
    const correction = await load(envelope({ links: { corrects: { messageId: "P2" } } }));
    expect(correction.original).toEqual({ hubId: originalHubId, routedTo: new Set(["municipality-m"]) });
  });

  it("tells a known but unrouted original apart from an unknown one", async () => {
    await redis.set(keys.messageId("practice-a", "M2"), "h-m2");
    const unrouted = await load(ackOf("M2"));
    expect(unrouted.acknowledgedHubId).toBe("h-m2");
    expect(unrouted.acknowledgedRoutedTo).toBeUndefined();
    expect(await load(ackOf("never-sent"))).toEqual({ receivedBySource: new Set() });
  });

  // Catches: an upgrade that stops reading older releases' routed keys: a correction of a message routed before
  // it would find no receivers (and go nowhere), an acknowledgement of it would be refused.
  it("finds a sender's own original and its receivers for a correction, routed by an older release", async () => {
    await redis.set(keys.messageId("practice-a", "X1"), "h-x1");
    await redis.set(keys.routed("h-x1"), JSON.stringify(["practice-b"]));
    const facts = await load(envelope({ links: { corrects: { messageId: "X1" } } }));
    expect(facts.original).toEqual({ hubId: "h-x1", routedTo: new Set(["practice-b"]) });
    expect(facts.supersededSentByAnother).toBeUndefined();
  });

  it("sees a correction of someone else's message: held by its sender, an addressee or a rule's target", async () => {
    // practice-b received X2 (from someone) and now "corrects" it.
    await redis.set(keys.received("practice-b", "X2"), "h-x2");
    const byReceiver = envelope({ sourceEndpoint: "practice-b", links: { corrects: { messageId: "X2" } } });
    expect(await load(byReceiver)).toMatchObject({ supersededSentByAnother: true });
    expect((await load(byReceiver)).original).toBeUndefined();
    // municipality-m never saw X2, but addresses its retraction to practice-b, which holds one.
    const byStranger = envelope({ sourceEndpoint: "municipality-m", links: { retracts: { messageId: "X2" } } });
    expect(await load(byStranger)).toMatchObject({ supersededSentByAnother: true });
    // The databank holds X4 (a rule copy of practice-a's result): a stranger's correction addressed elsewhere
    // could reach it by the same rule, so it is someone else's too.
    await redis.set(keys.received("databank", "X4"), "h-x4");
    const viaRule = envelope({ sourceEndpoint: "practice-b", links: { corrects: { messageId: "X4" } } });
    expect(await load(viaRule)).toMatchObject({ supersededSentByAnother: true });
    // Nobody holds X3: unknown to the hub, not someone else's.
    const unknown = envelope({ sourceEndpoint: "municipality-m", links: { retracts: { messageId: "X3" } } });
    expect((await load(unknown)).supersededSentByAnother).toBeUndefined();
  });

  // Decision 0110: first copies and received marks an older release wrote under the former keys
  // (`msgid:<endpoint>:<id>`, `rcvd:<endpoint>:<id>`) count until they expire. Catches an upgrade that reads the
  // new keys alone: a loop passed on, a correction of someone else's message let through, an acknowledgement or
  // a correction of a message sent before the upgrade not matched to it (the script reading the wrong KEYS index).
  it("reads the first copies and received marks an older release kept under the former keys", async () => {
    await redis.set(keys.formerReceived("practice-a", "OF1"), "h-of1");
    const passedOn = envelope({ links: { forwards: { messageId: "OF1" } } });
    expect((await load(passedOn)).receivedBySource).toEqual(new Set(["OF1"]));

    await redis.set(keys.formerReceived("practice-b", "OX2"), "1");
    const byReceiver = envelope({ sourceEndpoint: "practice-b", links: { corrects: { messageId: "OX2" } } });
    expect(await load(byReceiver)).toMatchObject({ supersededSentByAnother: true });
    const byStranger = envelope({ sourceEndpoint: "municipality-m", links: { retracts: { messageId: "OX2" } } });
    expect(await load(byStranger)).toMatchObject({ supersededSentByAnother: true });

    // Its position alone under the former key (the previous release's form), and a new first copy under the new
    // key for a second message, read in one script call with their routed markers.
    const olderHubId = keys.derivedHubId("practice-a", "OP1");
    await redis.set(keys.formerMessageId("practice-a", "OP1"), "9");
    await redis.hset(keys.markers(olderHubId), keys.routedField, JSON.stringify(["practice-b"]));
    await expectAcknowledged("OP1", olderHubId, ["practice-b"]);
    await redis.set(keys.formerMessageId("practice-a", "OX1"), JSON.stringify({ hubId: "h-ox1", seq: 3 }));
    await redis.hset(keys.markers("h-ox1"), keys.routedField, JSON.stringify(["municipality-m"]));
    const correction = await load(envelope({ links: { corrects: { messageId: "OX1" } } }));
    expect(correction.original).toEqual({ hubId: "h-ox1", routedTo: new Set(["municipality-m"]) });
    expect(correction.supersededSentByAnother).toBeUndefined();

    // Both keys present (the new one written after the upgrade): the older release's record is the first copy.
    await redis.set(keys.messageId("practice-a", "OX1"), JSON.stringify({ hubId: "h-later", seq: 4 }));
    expect((await load(envelope({ links: { corrects: { messageId: "OX1" } } }))).original?.hubId).toBe("h-ox1");
  });
});

describe("first copies in the marker hash (0124)", () => {
  /** Practice-a's message `id`, claimed by intake as this release does: its first copy a field of its marker hash. */
  async function claimed(id: string, seq: number): Promise<string> {
    const ledger = new MessageLedger({ redis, namespace: ns, retentionDays: 1, hubEndpointId: "carehub" });
    const claim = await ledger.claim({ endpoint: "practice-a", messageId: id }, { stream: "INGRESS", seq });
    if (claim.repeat) throw new Error(`${id} already claimed`);
    expect(await redis.exists(keys.messageId("practice-a", id))).toBe(0);
    return claim.hubId;
  }

  // Catches: the script reading first copies at their keys alone (an acknowledgement of a message this release
  // admitted refused, a correction of it routed nowhere), or naming the hash otherwise than the ledger writes it.
  it("matches an acknowledgement and a correction to a first copy the ledger kept in the marker hash", async () => {
    const acknowledged = await claimed("H1", 21);
    await redis.hset(keys.markers(acknowledged), keys.routedField, JSON.stringify(["practice-b"]));
    await expectAcknowledged("H1", acknowledged, ["practice-b"]);

    const original = await claimed("H2", 22);
    await redis.hset(keys.markers(original), keys.routedField, JSON.stringify(["municipality-m"]));
    const correction = await load(envelope({ links: { corrects: { messageId: "H2" } } }));
    expect(correction.original).toEqual({ hubId: original, routedTo: new Set(["municipality-m"]) });
    const unrouted = await claimed("H3", 23);
    expect(await load(ackOf("H3"))).toMatchObject({ acknowledgedHubId: unrouted, acknowledgedRoutedTo: undefined });
  });

  // Catches: the first copy found by the script but not counted as the sender's own: a correction of a message its
  // receiver holds is then taken for a correction of someone else's message and refused.
  it("takes a correction of a first copy in the marker hash, which its receiver holds, for the sender's own", async () => {
    const original = await claimed("H4", 24);
    await redis.hset(keys.markers(original), keys.routedField, JSON.stringify(["practice-b"]));
    await redis.set(keys.received("practice-b", "H4"), keys.receivedMark);
    const correction = await load(
      envelope({ links: { corrects: { messageId: "H4" } }, receivers: [partyOf(ENDPOINTS.practiceB, "gln")] }),
    );
    expect(correction.original).toEqual({ hubId: original, routedTo: new Set(["practice-b"]) });
    expect(correction.supersededSentByAnother).toBeUndefined();
  });

  // The upgrade window: the previous release's key (`msgid:<id22>`, 0110) holds the earlier first copy. Catches
  // the marker hash's field read first.
  it("prefers the previous release's first-copy key to the marker hash's field", async () => {
    const hubId = keys.derivedHubId("practice-a", "H5");
    await redis.set(keys.messageId("practice-a", "H5"), JSON.stringify({ hubId: "h-h5-earlier", seq: 25 }));
    await redis.hset(keys.firstCopy("practice-a", "H5"), keys.firstCopyField, "26");
    await redis.hset(keys.markers(hubId), keys.routedField, JSON.stringify(["practice-b"]));
    expect((await load(ackOf("H5"))).acknowledgedHubId).toBe("h-h5-earlier");
  });
});

describe("marker hashes named by 22 characters (0119), and an older release's under the whole hub id", () => {
  // Catches: the script naming the marker hash by the whole hub id (or by its name for the derived id alone): the
  // routed marker of a message this release routed is not found when its hub id comes from a value — a first copy
  // as JSON, a lab sample's latest result — and its correction is routed nowhere, its acknowledgement refused.
  it("finds the routed marker this release wrote, from a hub id the script read", async () => {
    const originalHubId = randomUUID();
    await redis.set(keys.messageId("practice-a", "N1"), JSON.stringify({ hubId: originalHubId, seq: 5 }));
    await redis.hset(keys.markers(originalHubId), keys.routedField, JSON.stringify(["municipality-m"]));
    expect(keys.markers(originalHubId)).not.toBe(keys.formerMarkers(originalHubId));
    const correction = await load(envelope({ links: { corrects: { messageId: "N1" } } }));
    expect(correction.original).toEqual({ hubId: originalHubId, routedTo: new Set(["municipality-m"]) });
  });

  // Catches: an upgrade that reads the new marker hash alone: an acknowledgement or a correction of a message an
  // older release routed finds no receivers (refused, or routed nowhere) until that release's hashes expire.
  it("finds the routed marker an older release wrote in the marker hash under the whole hub id", async () => {
    const acknowledgedHubId = keys.derivedHubId("practice-a", "OM1");
    await redis.set(keys.messageId("practice-a", "OM1"), "11");
    await redis.hset(keys.formerMarkers(acknowledgedHubId), keys.routedField, JSON.stringify(["practice-b"]));
    await expectAcknowledged("OM1", acknowledgedHubId, ["practice-b"]);
    const originalHubId = randomUUID();
    await redis.set(keys.formerMessageId("practice-a", "OM2"), JSON.stringify({ hubId: originalHubId, seq: 6 }));
    await redis.hset(keys.formerMarkers(originalHubId), keys.routedField, JSON.stringify(["municipality-m"]));
    const correction = await load(envelope({ links: { corrects: { messageId: "OM2" } } }));
    expect(correction.original).toEqual({ hubId: originalHubId, routedTo: new Set(["municipality-m"]) });
  });

  // Catches: the same for the router's own check that it made a letter for the original of a correction: the
  // correction's letter would then not wait for the original's letter at the databank.
  it("counts a message as routed by either marker hash, or an older release's routed key", async () => {
    const deps = { keys, redis };
    const [byThis, byOlder, byOldest, never] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await redis.hset(keys.markers(byThis), keys.routedField, "[]");
    await redis.hset(keys.formerMarkers(byOlder), keys.routedField, "[]");
    await redis.set(keys.routed(byOldest), "[]");
    expect(await isRouted(deps, byThis)).toBe(true);
    expect(await isRouted(deps, byOlder)).toBe(true);
    expect(await isRouted(deps, byOldest)).toBe(true);
    expect(await isRouted(deps, never)).toBe(false);
  });
});

describe("the facts script on the wire", () => {
  // Catches: the facts read sent as EVAL with the script's text on every message (parsed and hashed by Redis
  // each time) instead of EVALSHA of the script defined once on the client.
  it("goes as EVALSHA, one per message, once the client has defined it", async () => {
    const server = await startRedisServer();
    const own = new Redis(server.url, { maxRetriesPerRequest: 2 });
    try {
      const read = (id: string) =>
        loadRouteFacts(redisFactReader(own), keys, ackOf(id), planFactLookups(ackOf(id), registry));
      await read("warm-up"); // the first call may load the script (EVALSHA, NOSCRIPT, EVAL)
      await own.config("RESETSTAT");
      for (let i = 0; i < 5; i++) await read(`M-${i}`);
      const info = await own.info("commandstats");
      const count = (name: string) => Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, "m").exec(info)?.[1] ?? 0);
      expect({ eval: count("eval"), evalsha: count("evalsha") }).toEqual({ eval: 0, evalsha: 5 });
    } finally {
      await own.quit();
      await server.stop();
    }
  });
});

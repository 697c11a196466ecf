import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { compactHubId } from "@carehub/schemas";
import { cleanupNamespace, medcomExamplesDir, sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPACT_HUB_ID_LUA, ledgerKeys } from "./ledger-keys.ts";
import {
  encodeStoredAcknowledgement,
  parseStoredAcknowledgement,
  type StoredAcknowledgement,
} from "./ledger-records.ts";

/*
 * A message's marker hash named by its hub id's 22 characters (docs/decisions/0119). The router's facts script
 * names it in Lua from a hub id it reads in Redis, so the Lua rule and the JavaScript one must agree on every id.
 */

// Exactly 7 characters, as the hub's own `carehub`: the key's length decides its size class.
const namespace = `mk${Date.now().toString(36).slice(-5)}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  await cleanupNamespace({ namespace, redis });
  await redis.quit();
});

/** MEMORY USAGE of a marker hash as a routed message delivered to `practice` leaves it, with `more` fields too. */
async function routedAndDelivered(key: string, ...more: string[]): Promise<number> {
  const keys = ledgerKeys(namespace);
  await redis.hset(
    key,
    ...more,
    keys.routedField,
    JSON.stringify(["practice"]),
    keys.deliveredField("practice"),
    "1,10,1796634622688,78",
  );
  await redis.expire(key, 90 * 86_400);
  return Number(await redis.memory("USAGE", key, "SAMPLES", 0));
}

describe("the marker hash's name", () => {
  // Catches: the script and the stages naming one message's marker hash differently — the router then finds no
  // routed marker for an acknowledgement or a correction (refused, or routed nowhere), for some ids only.
  it("is the same in Lua as in JavaScript, and one hub id's alone", async () => {
    const ids = [
      ...Array.from({ length: 200 }, () => randomUUID()),
      "00000000-0000-0000-0000-000000000000",
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
      "8449C266-8BCF-50B6-BCF4-27189861A68F", // not the hub's form: kept as it is
      "8449c266-8bcf-50b6-bcf4-27189861a68", // one digit short
      "wLLgy04GXeqG6TrcewFeVA", // looks like a compact name: escaped
      "~wLLgy04GXeqG6TrcewFeVA",
      "~",
      "h-m1",
      "router-abc-h1",
    ];
    const inLua = (await redis.eval(
      `${COMPACT_HUB_ID_LUA}\nlocal out = {}\nfor i = 1, #ARGV do out[i] = compactHubId(ARGV[i]) end\nreturn out`,
      0,
      ...ids,
    )) as string[];
    expect(inLua).toEqual(ids.map(compactHubId));
    expect(new Set(inLua).size).toBe(ids.length);
    expect(compactHubId("8449c266-8bcf-50b6-bcf4-27189861a68f")).toBe("hEnCZovPULa89CcYmGGmjw");
    for (const id of ids.slice(0, 200)) expect(compactHubId(id)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  // Catches: the marker hash named by the whole hub id again (168 B a message where 152 B will do).
  it("keeps a routed and delivered message's markers in at most 152 B", async () => {
    const keys = ledgerKeys(namespace);
    const hubId = randomUUID();
    expect(await routedAndDelivered(keys.markers(hubId))).toBeLessThanOrEqual(152);
    expect(keys.formerMarkers(hubId)).toBe(`${namespace}:mk:${hubId}`);
  });

  // Decision 0124: the sender's first copy is a field of the message's marker hash. Catches the first copy's hash
  // named otherwise than the marker hash of the pair's derived hub id (a second hash per message, and the router's
  // script, which names it by compactHubId of that id, not finding the first copy of a corrected message), and a
  // field that costs more than a few bytes (the hash grown past 168 B: a key of its own would be 88 B more).
  it("holds the first copy in the derived hub id's marker hash, routed, delivered and first copy in at most 168 B", async () => {
    const keys = ledgerKeys(namespace);
    for (const [endpoint, messageId] of [
      ["practice-a", randomUUID()],
      ["5790000123456", "m-1"],
      ["lab", "~x"],
      ["a", "bc"],
    ] as const) {
      expect(keys.firstCopy(endpoint, messageId)).toBe(keys.markers(keys.derivedHubId(endpoint, messageId)));
    }
    expect(keys.firstCopyField).not.toBe(keys.routedField);
    const key = keys.firstCopy("hospital-aarhus-uh", randomUUID());
    expect(await routedAndDelivered(key, keys.firstCopyField, "1234567")).toBeLessThanOrEqual(168);
  });
});

describe("a kept acknowledgement", () => {
  // Decision 0130. Catches the dictionary dropped from the kept form (this acknowledgement, which the dictionary was
  // not made from, then keeps 3,176 B instead of 1,128), or the bytes kept as base64 again (about 17 KB).
  it("keeps a receiver's FHIR acknowledgement as relayed in at most 1,200 B", async () => {
    const heldOut = JSON.stringify(
      JSON.parse(
        readFileSync(
          medcomExamplesDir("fhir", "acknowledgement", "ig-c9c2b2f6-0807-11ed-861d-0242ac120002.json"),
          "utf8",
        ),
      ),
    );
    const keys = ledgerKeys(namespace);
    const hubId = randomUUID();
    const kept: Required<StoredAcknowledgement> = {
      contentType: "application/fhir+json",
      base64: Buffer.from(heldOut).toString("base64"),
      hubId: randomUUID(),
      messageId: randomUUID(),
      sourceEndpoint: "practice",
    };
    await redis.set(keys.relayedAcknowledgement(hubId), encodeStoredAcknowledgement(kept) ?? "", "EX", 90 * 86_400);
    const bytes = Number(await redis.memory("USAGE", keys.relayedAcknowledgement(hubId), "SAMPLES", 0));
    expect(bytes).toBeLessThanOrEqual(1_200);
    expect(parseStoredAcknowledgement(await redis.get(keys.relayedAcknowledgement(hubId)))).toEqual(kept);
  });
});

import { randomUUID } from "node:crypto";
import { cleanupNamespace, sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerKeys, MARKER_NAME_LUA, markerName } from "./ledger-keys.ts";

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
      `${MARKER_NAME_LUA}\nlocal out = {}\nfor i = 1, #ARGV do out[i] = markerName(ARGV[i]) end\nreturn out`,
      0,
      ...ids,
    )) as string[];
    expect(inLua).toEqual(ids.map(markerName));
    expect(new Set(inLua).size).toBe(ids.length);
    expect(markerName("8449c266-8bcf-50b6-bcf4-27189861a68f")).toBe("hEnCZovPULa89CcYmGGmjw");
    for (const id of ids.slice(0, 200)) expect(markerName(id)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  // Catches: the marker hash named by the whole hub id again (168 B a message where 152 B will do).
  it("keeps a routed and delivered message's markers in at most 152 B", async () => {
    const keys = ledgerKeys(namespace);
    const hubId = randomUUID();
    const key = keys.markers(hubId);
    await redis.hset(
      key,
      keys.routedField,
      JSON.stringify(["practice"]),
      keys.deliveredField("practice"),
      "1,10,1796634622688,78",
    );
    await redis.expire(key, 90 * 86_400);
    expect(Number(await redis.memory("USAGE", key, "SAMPLES", 0))).toBeLessThanOrEqual(152);
    expect(keys.formerMarkers(hubId)).toBe(`${namespace}:mk:${hubId}`);
  });
});

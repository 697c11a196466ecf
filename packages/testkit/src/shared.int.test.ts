import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupNamespace, namespaceStreams, sharedNatsUrl, sharedRedisUrl, testNamespace } from "./shared.ts";

const namespace = testNamespace("tk");
const neighbour = `${namespace}-x`; // a namespace whose names start like ours must survive our cleanup
let nc: Awaited<ReturnType<typeof connect>>;
let redis: Redis;

beforeAll(async () => {
  nc = await connect({ servers: sharedNatsUrl() });
  redis = new Redis(sharedRedisUrl());
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await cleanupNamespace({ namespace: neighbour, jsm, redis });
  await nc.close();
  redis.disconnect();
});

describe("testNamespace", () => {
  it("is short, random and a valid hub namespace", () => {
    const a = testNamespace();
    expect(a).toMatch(/^t-[a-z0-9]{6}$/);
    expect(testNamespace()).not.toBe(a);
  });
});

describe("cleanupNamespace", () => {
  it("deletes exactly the namespace's streams and keys", async () => {
    const jsm = await jetstreamManager(nc);
    const [ours] = namespaceStreams(namespace);
    const [theirs] = namespaceStreams(neighbour);
    await jsm.streams.add({ name: ours ?? "", subjects: [`${namespace}.ingress.>`] });
    await jsm.streams.add({ name: theirs ?? "", subjects: [`${neighbour}.ingress.>`] });
    await redis.set(`${namespace}:a`, "1");
    await redis.set(`${namespace}:b:c`, "1");
    await redis.set(`${neighbour}:a`, "1");

    expect(await cleanupNamespace({ namespace, jsm, redis })).toEqual({ streams: 1, keys: 2 });
    await expect(jsm.streams.info(ours ?? "")).rejects.toThrow();
    expect((await jsm.streams.info(theirs ?? "")).config.name).toBe(theirs);
    expect(await redis.exists(`${namespace}:a`, `${namespace}:b:c`)).toBe(0);
    expect(await redis.get(`${neighbour}:a`)).toBe("1");
  });
});

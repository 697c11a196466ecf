import { keepHubAcknowledgement } from "@carehub/acknowledgements";
import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { ledgerKeys, parseStoredAcknowledgement } from "@carehub/ledger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Intake (and the router) keep the hub's own answer to a rejected message before sending it, so that a retried
// attempt sends the same one. Since the cpu15 round that is one SET NX GET instead of SET NX then GET.
let ns: TestNamespace;
beforeAll(async () => {
  ns = await openTestNamespace("keepack");
});
afterAll(() => ns.close());

const answer = (n: number) => ({
  contentType: "application/fhir+xml",
  base64: Buffer.from(`<answer ${n}/>`).toString("base64"),
  hubId: `ack-${n}`,
  messageId: `ack-message-${n}`,
  sourceEndpoint: "hub",
});

/** The commands the keeping sends, each a round trip of its own (the real client underneath). */
function counted(): { redis: TestNamespace["redis"]; commands: string[] } {
  const commands: string[] = [];
  const redis = new Proxy(ns.redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      return (...args: unknown[]) => {
        commands.push(property);
        return value.apply(target, args);
      };
    },
  });
  return { redis, commands };
}

describe("keeping the hub's answer to a message", () => {
  it("stores the first answer in one round trip, and a later attempt gets that one back, not its own", async () => {
    const key = ledgerKeys(ns.namespace).hubAcknowledgement("msg-1");
    const first = counted();
    expect(await keepHubAcknowledgement(first.redis, ns.namespace, "msg-1", answer(1), 600)).toEqual(answer(1));
    expect(first.commands).toEqual(["set"]);

    const retry = counted();
    expect(await keepHubAcknowledgement(retry.redis, ns.namespace, "msg-1", answer(2), 600)).toEqual(answer(1));
    expect(retry.commands).toEqual(["set"]);
    expect(parseStoredAcknowledgement(await ns.redis.get(key))).toMatchObject({ hubId: "ack-1" });
    const ttl = await ns.redis.ttl(key);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });
});

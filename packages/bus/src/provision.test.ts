import { describe, expect, it } from "vitest";
import { consumerConfig, diffConsumer, diffStream } from "./provision.ts";
import { topology } from "./topology.ts";

const [ingress] = topology("ns").streamConfigs();
if (ingress === undefined) throw new Error("no ingress config");

describe("diffStream", () => {
  it("finds nothing when the stream is as wanted", () => {
    expect(diffStream({ ...ingress }, ingress)).toEqual({ incompatible: [], changes: [] });
  });

  it("lists every fixed field that differs as incompatible, and updatable ones as changes", () => {
    const diff = diffStream(
      { ...ingress, subjects: ["other.>"], storage: "memory", retention: "workqueue", max_age: 1 },
      ingress,
    );
    expect(diff.incompatible).toHaveLength(3);
    expect(diff.incompatible.join("\n")).toMatch(
      /NS_INGRESS\.subjects.*\n.*NS_INGRESS\.storage.*\n.*NS_INGRESS\.retention/,
    );
    expect(diff.changes).toEqual([`max_age: 1 → ${ingress.max_age}`]);
  });

  it("turns direct gets on for a stream provisioned before they were asked for", () => {
    expect(diffStream({ ...ingress, allow_direct: false }, ingress).changes).toEqual(["allow_direct: false → true"]);
  });
});

describe("consumerConfig", () => {
  it("is a durable pull consumer with explicit acks, 30 s ack wait, and one delivery more than maxDeliver", () => {
    expect(consumerConfig({ durable: "intake" })).toEqual({
      durable_name: "intake",
      ack_policy: "explicit",
      deliver_policy: "all",
      replay_policy: "instant",
      ack_wait: 30_000_000_000,
      max_deliver: 11,
    });
    expect(consumerConfig({ durable: "d", maxDeliver: Number.POSITIVE_INFINITY }).max_deliver).toBe(-1);
    expect(() => consumerConfig({ durable: "a.b" })).toThrow(
      expect.objectContaining({ code: "CAREHUB_ERR_BUS_INVALID_NAME" }),
    );
  });

  it("diffConsumer: a different filter is incompatible, a different ack wait is an update", () => {
    const wanted = consumerConfig({ durable: "d", filterSubject: "ns.outbox.a", ackWaitMs: 5_000 });
    const diff = diffConsumer("S", { ...wanted, filter_subject: "ns.outbox.b", ack_wait: 1 }, wanted);
    expect(diff.incompatible).toEqual(['S/d.filter_subject: is "ns.outbox.b", wanted "ns.outbox.a"']);
    expect(diff.changes).toEqual(["ack_wait: 1 → 5000000000"]);
  });
});

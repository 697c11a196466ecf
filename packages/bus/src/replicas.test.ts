import { describe, expect, it } from "vitest";
import { keepReplicas } from "./provision.ts";
import { autoReplicas, resolveStreamReplicas } from "./replicas.ts";
import { topology } from "./topology.ts";

const cluster = (urls: string[]) => ({ cluster: "c", connect_urls: urls });

describe("autoReplicas", () => {
  it("is 1 outside a cluster and 3 on a cluster of three or more", () => {
    expect(autoReplicas(undefined)).toBe(1);
    expect(autoReplicas({})).toBe(1);
    expect(autoReplicas(cluster(["a:1", "b:1", "c:1"]))).toBe(3);
    expect(autoReplicas(cluster(["a:1", "b:1", "c:1", "d:1", "e:1"]))).toBe(3);
  });

  it("is no more than the servers a small cluster advertises, and 3 when they do not advertise", () => {
    expect(autoReplicas(cluster(["a:1", "b:1", "a:1"]))).toBe(2);
    expect(autoReplicas(cluster(["a:1"]))).toBe(1);
    expect(autoReplicas(cluster([]))).toBe(3);
    expect(autoReplicas({ cluster: "c" })).toBe(3);
  });
});

describe("resolveStreamReplicas", () => {
  it("gives a per-class count before the count for all, and resolves auto against the server", () => {
    const replicas = resolveStreamReplicas(
      { all: "auto", byClass: { outbox: 1, audit: 5 } },
      cluster(["a:1", "b:1", "c:1"]),
    );
    expect(replicas).toEqual({ ingress: 3, pipeline: 3, outbox: 1, events: 3, dlq: 3, inbox: 3, audit: 5 });
    expect(resolveStreamReplicas({ all: 2, byClass: { inbox: "auto" } }, undefined)).toMatchObject({
      ingress: 2,
      inbox: 1,
    });
  });

  it("takes a plain count for every stream, and auto when nothing is set", () => {
    expect(Object.values(resolveStreamReplicas(3, undefined))).toEqual(Array(7).fill(3));
    expect(Object.values(resolveStreamReplicas(undefined, cluster(["a:1", "b:1", "c:1"])))).toEqual(Array(7).fill(3));
  });

  it("reaches the stream configs role by role", () => {
    const configs = topology("ns").streamConfigs({ replicas: { audit: 3 } });
    expect(configs.map((c) => [c.name, c.num_replicas])).toEqual([
      ["NS_INGRESS", 1],
      ["NS_PIPELINE", 1],
      ["NS_OUTBOX", 1],
      ["NS_EVENTS", 1],
      ["NS_DLQ", 1],
      ["NS_INBOX", 1],
      ["NS_AUDIT", 3],
    ]);
  });
});

describe("keepReplicas", () => {
  const [wanted] = topology("ns").streamConfigs({ replicas: 1 });
  if (wanted === undefined) throw new Error("no stream config");

  it("keeps an existing stream's higher replicas and says so", () => {
    expect(keepReplicas({ num_replicas: 3 }, wanted)).toEqual({
      wanted: { ...wanted, num_replicas: 3 },
      kept: ["num_replicas: 3 kept (configured 1)"],
    });
  });

  it("raises lower replicas, and leaves equal ones alone", () => {
    const [r3] = topology("ns").streamConfigs({ replicas: 3 });
    if (r3 === undefined) throw new Error("no stream config");
    expect(keepReplicas({ num_replicas: 1 }, r3)).toEqual({ wanted: r3, kept: [] });
    expect(keepReplicas({}, wanted)).toEqual({ wanted, kept: [] });
  });
});

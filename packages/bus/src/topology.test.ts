import { describe, expect, it } from "vitest";
import { hubProvisionOptions } from "./hub-bus.ts";
import { auditRetention, messageRetention, topology } from "./topology.ts";

/** The stream retention every hub process provisions for `retentionDays`. */
const retentionOf = (retentionDays: number) => ({ retention: hubProvisionOptions({ retentionDays }).retention ?? {} });

describe("topology", () => {
  it("names streams and subjects from the namespace as docs/contracts.md says", () => {
    const t = topology("my-hub");
    expect(t.streams).toEqual({
      ingress: "MY_HUB_INGRESS",
      pipeline: "MY_HUB_PIPELINE",
      outbox: "MY_HUB_OUTBOX",
      events: "MY_HUB_EVENTS",
      dlq: "MY_HUB_DLQ",
      inbox: "MY_HUB_INBOX",
      audit: "MY_HUB_AUDIT",
    });
    expect(t.subjects.ingress("lps-1")).toBe("my-hub.ingress.lps-1");
    expect(t.subjects.pipeline("lab-result")).toBe("my-hub.pipeline.lab-result");
    expect(t.subjects.outbox("ep")).toBe("my-hub.outbox.ep");
    expect(t.subjects.events("delivery-failed")).toBe("my-hub.events.delivery-failed");
    expect(t.subjects.dlq("router")).toBe("my-hub.dlq.router");
    expect(t.subjects.inbox("ep")).toBe("my-hub.inbox.ep");
    expect(t.subjects.status("ep")).toBe("my-hub.status.ep");
    expect(t.subjects.audit("message.read", "operator", "alice")).toBe("my-hub.audit.message.read.operator.alice");
    expect(t.subjects.auditFilter({})).toBe("my-hub.audit.*.*.*.*");
    expect(t.subjects.auditFilter({ action: "referral.read", actorId: "gp-1" })).toBe(
      "my-hub.audit.referral.read.*.gp-1",
    );
    expect(t.subjects.all.audit).toBe("my-hub.audit.>");
    expect(t.streamOf("my-hub.audit.stats.read.endpoint.gp-1")).toBe("MY_HUB_AUDIT");
    expect(t.subjects.all.outbox).toBe("my-hub.outbox.>");
    expect(t.streamOf("my-hub.outbox.ep")).toBe("MY_HUB_OUTBOX");
    expect(t.streamOf("my-hub.status.ep")).toBeUndefined();
    expect(t.streamOf("other.outbox.ep")).toBeUndefined();
    expect(topology().namespace).toBe("carehub");
  });

  it("refuses namespaces and tokens that would break subjects", () => {
    expect(() => topology("Bad")).toThrow(expect.objectContaining({ code: "CAREHUB_ERR_BUS_INVALID_NAME" }));
    const t = topology("ns");
    for (const bad of ["a.b", ">", "a b", "", "x*"]) {
      expect(() => t.subjects.outbox(bad)).toThrow(expect.objectContaining({ code: "CAREHUB_ERR_BUS_INVALID_NAME" }));
    }
    for (const action of ["message", "message.read.x", "message.*", "a b.read"]) {
      expect(() => t.subjects.audit(action, "operator", "alice")).toThrow(
        expect.objectContaining({ code: "CAREHUB_ERR_BUS_INVALID_NAME" }),
      );
    }
    expect(() => t.subjects.auditFilter({ actorId: ">" })).toThrow(
      expect.objectContaining({ code: "CAREHUB_ERR_BUS_INVALID_NAME" }),
    );
  });

  it("defines seven file-backed, limits-retention streams with the contract's ages and a 10-minute dedup window", () => {
    const day = 86_400_000 * 1_000_000;
    const configs = topology("ns").streamConfigs({ replicas: 3, retention: { ingressMaxBytes: 1024 } });
    const ages = Object.fromEntries(configs.map((c) => [c.name, c.max_age / day]));
    // PIPELINE as long as the read model's default retention (90 days): `carehub rebuild` replays it.
    // AUDIT five years (with their leap days): access records must outlive everything they are about.
    expect(ages).toEqual({
      NS_INGRESS: 30,
      NS_PIPELINE: 90,
      NS_OUTBOX: 7,
      NS_EVENTS: 90,
      NS_DLQ: 90,
      NS_INBOX: 30,
      NS_AUDIT: 1827,
    });
    for (const c of configs) {
      expect(c).toMatchObject({
        storage: "file",
        retention: "limits",
        num_replicas: 3,
        duplicate_window: 600_000_000_000,
      });
    }
    expect(configs.find((c) => c.name === "NS_INGRESS")?.max_bytes).toBe(1024);
    // The streams the hub reads single messages back from (bus.getMessage) answer direct gets; no other.
    expect(configs.filter((c) => c.allow_direct).map((c) => c.name)).toEqual(["NS_INGRESS", "NS_OUTBOX"]);
    expect(configs.find((c) => c.name === "NS_EVENTS")?.max_bytes).toBe(-1);
  });

  it("keeps no message stream longer than the hub's retention (messageRetention), AUDIT by its own", () => {
    const day = 86_400_000;
    const ages = (retentionDays: number) => {
      const configs = topology("ns").streamConfigs(retentionOf(retentionDays));
      return Object.fromEntries(configs.map((c) => [c.name, c.max_age / 1_000_000 / day]));
    };
    expect(ages(90)).toEqual({
      NS_INGRESS: 30,
      NS_PIPELINE: 90,
      NS_OUTBOX: 7,
      NS_EVENTS: 90,
      NS_DLQ: 90,
      NS_INBOX: 30,
      NS_AUDIT: 1827,
    });
    expect(ages(3)).toEqual({
      NS_INGRESS: 3,
      NS_PIPELINE: 3,
      NS_OUTBOX: 3,
      NS_EVENTS: 3,
      NS_DLQ: 3,
      NS_INBOX: 3,
      NS_AUDIT: 1827,
    });
    expect(messageRetention(3).duplicateWindowMs).toBe(10 * 60 * 1000);
  });

  it("takes a retention in fractions of a day: whole nanoseconds, and a duplicate window no longer than it", () => {
    const configs = topology("ns").streamConfigs(retentionOf(12 / 86_400));
    for (const config of configs.filter((c) => c.name !== "NS_AUDIT")) {
      expect(config.max_age, config.name).toBe(12_000_000_000);
      expect(config.duplicate_window, config.name).toBe(12_000_000_000);
    }
    const odd = topology("ns").streamConfigs(retentionOf(1 / 3));
    expect(odd.every((c) => Number.isInteger(c.max_age) && Number.isInteger(c.duplicate_window))).toBe(true);
  });

  it("keeps access records as long as the hub is configured to (auditRetention)", () => {
    const day = 86_400_000 * 1_000_000;
    const audit = topology("ns")
      .streamConfigs({ retention: auditRetention(3650) })
      .find((c) => c.name === "NS_AUDIT");
    expect(audit).toMatchObject({ max_age: 3650 * day, storage: "file", retention: "limits", max_bytes: -1 });
    expect(hubProvisionOptions({ retentionDays: 30 }).retention?.auditMaxAgeMs).toBe(1827 * 86_400_000);
    expect(hubProvisionOptions({ retentionDays: 30, auditRetentionDays: 10 }).retention?.auditMaxAgeMs).toBe(
      10 * 86_400_000,
    );
  });
});

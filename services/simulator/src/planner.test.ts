import { createHash } from "node:crypto";
import { parseDeliveredMessage } from "@carehub/client";
import { describe, expect, it } from "vitest";
import { type PlannedMessage, planMessages } from "./planner.ts";
import { demoScenario, smallScenario } from "./scenario.ts";
import { buildWorld } from "./world.ts";

const START = Date.parse("2026-03-02T08:00:00Z");

function plan(seed: number, n: number, scenario = demoScenario(), rate = 50) {
  return planMessages({ seed, rate, scenario, world: buildWorld(scenario, seed), startTime: START }, n);
}

const fingerprint = (m: PlannedMessage) =>
  `${m.kind}|${m.from}|${m.to}|${createHash("sha256").update(m.body).digest("hex")}`;

describe("planner", () => {
  it("plans the same messages for the same seed, and others for another seed", () => {
    expect(plan(7, 200).map(fingerprint)).toEqual(plan(7, 200).map(fingerprint));
    const other = plan(8, 200).map(fingerprint);
    expect(other).not.toEqual(plan(7, 200).map(fingerprint));
  });

  it("spaces messages by the rate without changing what they are", () => {
    const slow = plan(7, 50, demoScenario(), 5);
    expect(slow.map((m) => m.atMs).slice(0, 3)).toEqual([0, 200, 400]);
    expect(
      plan(7, 50, demoScenario(), 500)
        .map((m) => m.atMs)
        .slice(0, 3),
    ).toEqual([0, 2, 4]);
  });

  it("plans valid MedCom messages of every kind, between endpoints that send and accept them", () => {
    const scenario = demoScenario();
    const world = buildWorld(scenario, 3);
    const messages = planMessages({ seed: 3, rate: 50, scenario, world, startTime: START }, 400);
    const kinds = new Set<string>();
    for (const message of messages) {
      const bytes = typeof message.body === "string" ? new TextEncoder().encode(message.body) : message.body;
      const parsed = parseDeliveredMessage(bytes, message.contentType);
      if (!parsed.ok) throw new Error(`${message.variant}: ${JSON.stringify(parsed.issues.slice(0, 3))}`);
      expect(parsed.message.kind).toBe(message.kind);
      expect(parsed.message.messageId).toBe(message.messageId);
      const from = world.byId.get(message.from);
      const to = world.byId.get(message.to);
      expect(parsed.message.sender.gln).toBe(from?.gln);
      expect(parsed.message.receivers[0]?.gln).toBe(to?.gln);
      kinds.add(message.kind);
    }
    expect([...kinds].sort()).toEqual([
      "care-communication",
      "homecare-observation",
      "hospital-notification",
      "lab-result",
      "notification",
      "referral",
      "task-requisition",
    ]);
  });

  it("tells the lab-result stories: partial then final, corrections, consent withheld, practice-produced", () => {
    const variants = new Set(plan(11, 1500).map((m) => m.variant));
    for (const expected of [
      "lab-result/lab/partial",
      "lab-result/lab/final",
      "lab-result/lab/corrected",
      "lab-result/practice/final",
      "homecare-observation/correction",
      "homecare-observation/retraction",
      "hospital-notification/discharge-inpatient-home",
      "care-communication/reply",
      "referral/package-kol",
    ]) {
      expect(variants).toContain(expected);
    }
    expect([...variants].some((v) => v.endsWith("/consent-withheld"))).toBe(true);
  });

  it("sends a final result after the partial one of the same sample", () => {
    const messages = plan(11, 1500);
    const partial = messages.find((m) => m.variant === "lab-result/lab/partial");
    expect(partial).toBeDefined();
    const sample = /<LaboratoryInternalSampleIdentifier>([^<]+)</.exec(
      Buffer.from(partial?.body ?? "").toString("latin1"),
    )?.[1];
    const final = messages.find(
      (m) =>
        m.seq > (partial?.seq ?? 0) &&
        m.variant.startsWith("lab-result/lab/final") &&
        Buffer.from(m.body).toString("latin1").includes(`${sample}<`),
    );
    expect(final).toBeDefined();
  });

  it("breaks and repeats the messages of misbehaving senders only", () => {
    const scenario = smallScenario();
    const world = buildWorld(scenario, 5);
    const [broken, repeating] = world.byRole.practice.map((e) => e.id);
    const misbehaving = smallScenario({
      misbehaviour: [
        { type: "invalid", endpoint: broken ?? "", probability: 0.5 },
        { type: "duplicates", endpoint: repeating ?? "", probability: 0.5 },
      ],
    });
    const messages = planMessages({ seed: 5, rate: 50, scenario: misbehaving, world, startTime: START }, 600);
    const invalid = messages.filter((m) => m.fault === "invalid");
    const duplicates = messages.filter((m) => m.fault === "duplicate");
    expect(invalid.length).toBeGreaterThan(5);
    expect(duplicates.length).toBeGreaterThan(5);
    expect(new Set(invalid.map((m) => m.from))).toEqual(new Set([broken]));
    expect(new Set(duplicates.map((m) => m.from))).toEqual(new Set([repeating]));
    for (const copy of duplicates) {
      const first = messages.find((m) => m.messageId === copy.messageId && m.fault === undefined);
      expect(first).toBeDefined();
      expect(copy.envelopeId).not.toBe(first?.envelopeId);
      expect(copy.seq).toBeGreaterThan(first?.seq ?? Number.POSITIVE_INFINITY);
    }
    for (const message of invalid) {
      const bytes = typeof message.body === "string" ? new TextEncoder().encode(message.body) : message.body;
      expect(parseDeliveredMessage(bytes, message.contentType).ok).toBe(false);
    }
  });
});

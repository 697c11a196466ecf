import { parseDeliveredMessage } from "@carehub/client";
import type { ParsedMessage } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { planMessages } from "./planner.ts";
import { createRandom } from "./random.ts";
import { reactionsTo } from "./reactions.ts";
import { DEFAULT_BEHAVIOUR, demoScenario } from "./scenario.ts";
import { buildWorld } from "./world.ts";

const scenario = demoScenario();
const world = buildWorld(scenario, 9);
const planned = planMessages(
  { seed: 9, rate: 50, scenario, world, startTime: Date.parse("2026-03-02T08:00:00Z") },
  400,
);

function parsed(variantPrefix: string): ParsedMessage {
  const message = planned.find((m) => m.variant.startsWith(variantPrefix));
  if (message === undefined) throw new Error(`no ${variantPrefix} in the plan`);
  const bytes = typeof message.body === "string" ? new TextEncoder().encode(message.body) : message.body;
  const result = parseDeliveredMessage(bytes, message.contentType);
  if (!result.ok) throw new Error("planned message does not parse");
  return result.message;
}

function receiver(message: ParsedMessage) {
  const endpoint = world.endpoints.find((e) => e.gln === message.receivers[0]?.gln);
  if (endpoint === undefined) throw new Error("no receiver");
  return endpoint;
}

describe("reactions", () => {
  it("a hospital books a referral and reports an outcome to the referring practice, as valid status updates", () => {
    const referral = parsed("referral/hospital");
    const hospital = receiver(referral);
    const reactions = reactionsTo(referral, hospital, world, DEFAULT_BEHAVIOUR, createRandom("r"));
    expect(reactions[0]?.status).toBe("booked");
    expect(["completed", "cancelled", "no-show", "rescheduled", "deleted"]).toContain(reactions[1]?.status);
    expect(reactions.every((r, i) => i === 0 || r.afterMs > (reactions[i - 1]?.afterMs ?? 0))).toBe(true);
    for (const reaction of reactions) {
      expect(reaction.to.gln).toBe(referral.sender.gln);
      const built = reaction.build(new Date("2026-03-02T09:00:00Z"));
      const bytes = typeof built.body === "string" ? new TextEncoder().encode(built.body) : built.body;
      const result = parseDeliveredMessage(bytes, built.contentType);
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      expect(result.message.content).toMatchObject({
        kind: "status-update",
        subject: { type: "referral", id: referral.content.kind === "referral" ? referral.content.referralId : "" },
        status: reaction.status,
      });
    }
  });

  it("ends referrals in every final status a hospital can give, each after a booking", () => {
    const referral = parsed("referral/hospital");
    const endings = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const reactions = reactionsTo(referral, receiver(referral), world, DEFAULT_BEHAVIOUR, createRandom(`h${i}`));
      expect(reactions[0]?.status).toBe("booked");
      endings.add(reactions.at(-1)?.status ?? "none");
    }
    expect([...endings].sort()).toEqual(["cancelled", "completed", "deleted", "no-show"]);
  });

  it("a municipality accepts or rejects a task requisition, and carries out or cancels what it accepted", () => {
    const statuses = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const task = parsed("task-requisition/");
      const reactions = reactionsTo(task, receiver(task), world, DEFAULT_BEHAVIOUR, createRandom(`t${i}`));
      const sequence = reactions.map((r) => r.status).join(">");
      expect(["rejected", "accepted>in-progress>completed", "accepted>in-progress>cancelled"]).toContain(sequence);
      statuses.add(sequence);
    }
    expect(statuses.size).toBe(3);
  });

  it("decides the same way for the same random stream", () => {
    const referral = parsed("referral/hospital");
    const once = reactionsTo(referral, receiver(referral), world, DEFAULT_BEHAVIOUR, createRandom("same"));
    const again = reactionsTo(referral, receiver(referral), world, DEFAULT_BEHAVIOUR, createRandom("same"));
    expect(again.map((r) => [r.afterMs, r.status])).toEqual(once.map((r) => [r.afterMs, r.status]));
  });

  it("does not answer what needs no status (results, notifications)", () => {
    const result = parsed("lab-result/");
    expect(reactionsTo(result, receiver(result), world, DEFAULT_BEHAVIOUR, createRandom("x"))).toEqual([]);
  });
});

describe("package courses", () => {
  const built = (reaction: { build: (now: Date) => { body: string | Uint8Array; contentType: string } }) => {
    const message = reaction.build(new Date("2026-03-02T09:00:00Z"));
    const bytes = typeof message.body === "string" ? new TextEncoder().encode(message.body) : message.body;
    const result = parseDeliveredMessage(bytes, message.contentType);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return result.message;
  };

  it("the hospital plans and books a package referral and asks the patient's municipality for the rehabilitation", () => {
    const referral = parsed("referral/package-");
    const hospital = receiver(referral);
    const reactions = reactionsTo(referral, hospital, world, DEFAULT_BEHAVIOUR, createRandom("pkg"));
    const messages = reactions.map(built);
    const referralId = referral.content.kind === "referral" ? referral.content.referralId : "";
    // Catches a course with nothing planned or no municipality in it: the demo would show no whole course.
    expect(messages.map((m) => (m.content.kind === "status-update" ? m.content.status : m.content.kind))).toEqual([
      "received",
      "planned",
      "booked",
      "task-requisition",
      "completed",
    ]);
    const task = messages.find((m) => m.content.kind === "task-requisition");
    expect(task?.content).toMatchObject({ packageReferralId: referralId });
    const patient = world.patients.find((p) => p.cpr === referral.patient?.value);
    expect(task?.receivers[0]?.gln).toBe(world.byId.get(patient?.municipalityId ?? "")?.gln);

    // The municipality plans the rehabilitation with a window, books a session and completes it.
    const municipality = world.byId.get(patient?.municipalityId ?? "");
    if (task === undefined || municipality === undefined) throw new Error("no task");
    const answers = reactionsTo(task, municipality, world, DEFAULT_BEHAVIOUR, createRandom("rehab")).map(built);
    expect(answers.map((m) => (m.content.kind === "status-update" ? m.content.status : ""))).toEqual([
      "planned",
      "booked",
      "completed",
      "completed",
    ]);
    expect(answers[0]?.content).toMatchObject({ subject: { type: "task" }, plannedWindow: expect.any(Object) });
    expect(answers[1]?.content).toMatchObject({ basedOn: { type: "task" } });
  });
});

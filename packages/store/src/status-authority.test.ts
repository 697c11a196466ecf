import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BusinessStatus } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import type { SubjectType } from "./state-machines.ts";
import { anyMayState, STATUS_NOT_A_PARTY, statusAuthority } from "./status-authority.ts";

/*
 * The rule as a table: practice A sent the entity to hospital H (and, for an appointment, H booked it for A's
 * referral); practice B has no part in it. Each row would catch a realistic bug: a stranger's `cancelled`
 * applied (issue 9, breach 2), an originator booking its own referral, a counterpart pretending to create it,
 * a status about an unseen referral dropped instead of kept.
 */
const parties = { originator: "practice-a", counterparts: ["hospital-h"] };
const unmatched = { counterparts: [] };

type Row = [
  SubjectType,
  "matched" | "unmatched",
  string,
  BusinessStatus,
  false | "originator" | "counterpart" | "unmatched",
];
const rows: Row[] = [
  ["referral", "matched", "hospital-h", "booked", "counterpart"],
  ["referral", "matched", "hospital-h", "cancelled", "counterpart"],
  ["referral", "matched", "hospital-h", "completed", "counterpart"],
  ["referral", "matched", "hospital-h", "sent", false],
  ["referral", "matched", "practice-a", "sent", "originator"],
  ["referral", "matched", "practice-a", "cancelled", "originator"],
  ["referral", "matched", "practice-a", "deleted", "originator"],
  ["referral", "matched", "practice-a", "booked", false],
  ["referral", "matched", "practice-a", "completed", false],
  // Whoever will perform it plans it: the counterpart, never the referring originator (issue 12).
  ["referral", "matched", "hospital-h", "planned", "counterpart"],
  ["referral", "matched", "practice-a", "planned", false],
  ["referral", "matched", "practice-b", "planned", false],
  ["task", "matched", "hospital-h", "planned", "counterpart"],
  ["task", "matched", "practice-a", "planned", false],
  ["appointment", "matched", "hospital-h", "planned", "counterpart"],
  ["appointment", "matched", "practice-a", "planned", false],
  ["referral", "matched", "practice-b", "cancelled", false],
  ["referral", "matched", "practice-b", "booked", false],
  ["referral", "unmatched", "practice-b", "booked", "unmatched"],
  ["task", "matched", "hospital-h", "accepted", "counterpart"],
  ["task", "matched", "hospital-h", "requested", false],
  ["task", "matched", "practice-a", "requested", "originator"],
  ["task", "matched", "practice-a", "cancelled", "originator"],
  ["task", "matched", "practice-a", "completed", false],
  ["task", "matched", "practice-b", "cancelled", false],
  ["appointment", "matched", "hospital-h", "booked", "counterpart"],
  ["appointment", "matched", "hospital-h", "cancelled", "counterpart"],
  ["appointment", "matched", "practice-a", "cancelled", false],
  ["appointment", "matched", "practice-b", "cancelled", false],
  ["appointment", "unmatched", "practice-b", "booked", "unmatched"],
];

describe("statusAuthority: who may state which business status", () => {
  it.each(rows)("%s (%s): %s stating %s → %s", (type, which, speaker, status, expected) => {
    const verdict = statusAuthority(type, which === "matched" ? parties : unmatched, speaker, status);
    if (expected === false) {
      expect(verdict).toMatchObject({ allowed: false, code: STATUS_NOT_A_PARTY });
    } else {
      expect(verdict).toEqual({ allowed: true, as: expected });
    }
  });

  it("lets a fact stand when any of the endpoints that reported it may state it", () => {
    expect(anyMayState("referral", parties, ["practice-b", "hospital-h"], "booked").allowed).toBe(true);
    expect(anyMayState("referral", parties, ["practice-b"], "booked").allowed).toBe(false);
    expect(anyMayState("referral", parties, [], "booked").allowed).toBe(false);
    expect(anyMayState("referral", unmatched, [], "booked").allowed).toBe(true);
  });

  it("is catalogued in the Tracker section of docs/errors.md", () => {
    const catalogue = readFileSync(fileURLToPath(new URL("../../../docs/errors.md", import.meta.url)), "utf8");
    expect(catalogue.slice(catalogue.indexOf("## Tracker"))).toContain(`| \`${STATUS_NOT_A_PARTY}\` |`);
  });
});

describe("a stranger flooding a referral", () => {
  it("fills only the room kept for refused facts, never its parties' room", async () => {
    const { applyEntityUpdate, toBusinessEntity } = await import("./entity-state.ts");
    const subject = { type: "referral" as const, originator: "practice-a", id: "r-1" };
    let state = applyEntityUpdate(
      undefined,
      {
        subject,
        seenAt: 0,
        creation: { endpoint: "practice-a", counterparts: ["hospital-h"] },
        fact: { status: "sent", occurredAt: 0, sources: ["h-sent"], knownBy: [], by: ["practice-a"] },
      },
      { recordEffects: false },
    ).state;
    for (let i = 1; i <= 600; i++) {
      const fact = {
        status: "cancelled" as const,
        occurredAt: i,
        sources: [`x-${i}`],
        knownBy: [],
        by: ["practice-b"],
      };
      state = applyEntityUpdate(state, { subject, seenAt: i, fact }, { recordEffects: false }).state;
    }
    const booked = { status: "booked" as const, occurredAt: 1_000, sources: ["h-1"], knownBy: [], by: ["hospital-h"] };
    state = applyEntityUpdate(state, { subject, seenAt: 1_000, fact: booked }, { recordEffects: false }).state;
    expect(state.facts.length).toBe(52);
    expect(toBusinessEntity(state).status).toBe("booked");
  });
});

describe("an appointment booked for a referral", () => {
  it("takes the referral's parties, and leaves the status return to the referral", async () => {
    const { applyEntityUpdate } = await import("./entity-state.ts");
    const subject = { type: "appointment" as const, originator: "practice-a", id: "apt-1" };
    const booked = (by: string) => ({
      status: "booked" as const,
      occurredAt: 60_000,
      sources: [`h-${by}`],
      knownBy: [by, "municipality-m"],
      by: [by],
      appointment: { start: "2026-05-04T10:00:00+02:00" },
    });
    const creation = { endpoint: "practice-a", counterparts: ["hospital-h"] };
    const fromHospital = applyEntityUpdate(
      undefined,
      { subject, seenAt: 0, creation, fact: booked("hospital-h") },
      { recordEffects: true },
    ).state;
    expect(fromHospital.matched).toBe(true);
    expect(fromHospital.pending.map((e) => e.type)).toEqual(["status-changed"]);
    const fromStranger = applyEntityUpdate(
      undefined,
      { subject, seenAt: 0, creation, fact: booked("practice-b") },
      { recordEffects: true },
    ).state;
    expect(fromStranger.pending.map((e) => e.type)).toEqual(["transition-refused"]);
  });
});

describe("a forwarded referral", () => {
  it("gives a part to whom a party forwarded it, and none to whom a stranger did, in any order", async () => {
    const { effectiveCounterparts } = await import("./entity-state.ts");
    const base = { originator: "practice-a", counterparts: ["hospital-h"] };
    const byParty = { by: "hospital-h", to: ["hospital-k"] };
    const onward = { by: "hospital-k", to: ["municipality-m"] };
    const byStranger = { by: "practice-b", to: ["clinic-z"] };
    expect(effectiveCounterparts({ ...base, forwards: [onward, byStranger, byParty] })).toEqual([
      "hospital-h",
      "hospital-k",
      "municipality-m",
    ]);
    expect(effectiveCounterparts({ ...base, forwards: [byStranger] })).toEqual(["hospital-h"]);
  });
});

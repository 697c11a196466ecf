import type { BusinessStatus } from "@carehub/schemas";
import { applyEntityUpdate, type EntityReader, type EntityState, subjectKey } from "@carehub/store";
import { describe, expect, it } from "vitest";
import { ENDPOINTS, envelope, fixtureRegistry, partyOf } from "../test/fixtures.ts";
import { statusPartyIssue } from "./status-party-gate.ts";

/*
 * The router's gate over a read model holding practice A's referral REF-1, sent to hospital H. Catches the
 * gate asking the wrong entity, or skipping the rule: a stranger's status delivered (issue 9, breach 2).
 */
const registry = fixtureRegistry();
const T0 = Date.parse("2026-03-02T09:00:00Z");

function readModel(): EntityReader {
  const subject = { type: "referral" as const, originator: ENDPOINTS.practiceA.id, id: "REF-1" };
  const { state } = applyEntityUpdate(
    undefined,
    {
      subject,
      seenAt: T0,
      creation: { endpoint: ENDPOINTS.practiceA.id, counterparts: [ENDPOINTS.hospital.id] },
      fact: { status: "sent", occurredAt: T0, sources: ["h-0"], knownBy: [], by: [ENDPOINTS.practiceA.id] },
    },
    { recordEffects: false },
  );
  const entities = new Map<string, EntityState>([[subjectKey(subject), state]]);
  return {
    getEntityState: async (s) => entities.get(subjectKey(s)),
    originatorsOf: async (type, id) =>
      [...entities.values()].filter((e) => e.type === type && e.id === id).map((e) => e.originator),
  };
}

function statusFrom(sender: keyof typeof ENDPOINTS, to: keyof typeof ENDPOINTS, status: BusinessStatus) {
  return envelope({
    sourceEndpoint: ENDPOINTS[sender].id,
    sender: partyOf(ENDPOINTS[sender], "gln"),
    receivers: [partyOf(ENDPOINTS[to], "gln")],
    kind: "status-update",
    format: "fhir+json",
    content: {
      kind: "status-update",
      subject: { type: "referral", id: "REF-1" },
      status,
      occurredAt: "2026-03-02T10:00:00Z",
    },
  });
}

describe("statusPartyIssue", () => {
  it.each<[keyof typeof ENDPOINTS, keyof typeof ENDPOINTS, BusinessStatus, boolean]>([
    ["practiceB", "practiceA", "cancelled", true],
    ["practiceB", "hospital", "cancelled", true],
    ["municipality", "practiceA", "booked", true],
    ["hospital", "practiceA", "booked", false],
    ["hospital", "municipality", "completed", false],
    ["practiceA", "hospital", "cancelled", false],
    ["practiceA", "hospital", "booked", true],
  ])("%s → %s stating %s: refused %s", async (sender, to, status, refused) => {
    const issue = await statusPartyIssue(statusFrom(sender, to, status), registry, readModel());
    if (refused) expect(issue).toMatchObject({ code: "CAREHUB_ERR_STATUS_NOT_A_PARTY" });
    else expect(issue).toBeUndefined();
  });

  it("lets a status about a referral the hub never saw through (kept, flagged unmatched by the tracker)", async () => {
    const unknown = statusFrom("practiceB", "practiceA", "cancelled");
    const content = { ...unknown.content, subject: { type: "referral" as const, id: "REF-UNSEEN" } };
    expect(await statusPartyIssue({ ...unknown, content }, registry, readModel())).toBeUndefined();
  });
});

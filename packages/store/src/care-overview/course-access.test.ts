import type { CareItem } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import type { CareItemRecord } from "./care-item.ts";
import { visibleItems } from "./course-access.ts";

/* The care overview's access rule as a table: who sees which items of a course (and outside one). */
const record = (id: string, parties: string[]): CareItemRecord => ({
  item: { type: "task", id, originator: parties[0] ?? "", status: "planned", performers: [], changes: [] } as CareItem,
  parties,
  firstAt: 0,
});
const course = [
  record("package-referral", ["practice", "hospital"]),
  record("rehabilitation", ["hospital", "municipality"]),
  record("appointment", ["hospital", "municipality"]),
];
const ids = (records: CareItemRecord[]) => records.map((r) => r.item.id);

describe("visibleItems", () => {
  it("an operator sees every item", () => {
    expect(ids(visibleItems({ kind: "operator" }, course, "practice"))).toHaveLength(3);
  });

  it("the referring practice sees every item of its course, also those it has no part in", () => {
    expect(ids(visibleItems({ kind: "endpoint", id: "practice" }, course, "practice"))).toHaveLength(3);
  });

  it("outside a course the practice sees only its own items (owner rule applied without a course)", () => {
    expect(ids(visibleItems({ kind: "endpoint", id: "practice" }, course))).toEqual(["package-referral"]);
  });

  it("a performer sees the items it is a party to, not the course", () => {
    expect(ids(visibleItems({ kind: "endpoint", id: "municipality" }, course, "practice"))).toEqual([
      "rehabilitation",
      "appointment",
    ]);
  });

  it("an endpoint with no part sees nothing", () => {
    expect(visibleItems({ kind: "endpoint", id: "other-practice" }, course, "practice")).toEqual([]);
  });
});

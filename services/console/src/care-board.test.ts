import type { CareItem } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { ageBucket, boardColumns } from "./care-board.ts";

const NOW = Date.parse("2026-06-30T12:00:00Z");
const DAY = 86_400_000;
const at = (daysAgo: number) => new Date(NOW - daysAgo * DAY).toISOString();
const item = (type: CareItem["type"], id: string, status: CareItem["status"], since: number): CareItem => ({
  type,
  id,
  originator: "gp-1",
  status,
  performers: ["hosp-1"],
  ...(status === null ? {} : { since: at(since) }),
  changes: status === null ? [] : [{ status, at: at(since), statedBy: `h-${id}` }],
});

describe("boards by status and age", () => {
  it("puts each item in its status lane and age column, largest lane first", () => {
    const columns = boardColumns(
      {
        items: [
          item("referral", "r1", "received", 0.5),
          item("referral", "r2", "received", 3),
          item("referral", "r3", "accepted", 40),
          item("task", "t1", null, 0),
          item("appointment", "a1", "booked", 10),
        ],
        courses: [],
        truncated: false,
      },
      NOW,
    );
    // Catches: age counted from the first change instead of the current status, or lanes by type mixed up.
    expect(columns.referral).toEqual([
      { status: "received", total: 2, byAge: { "under 1 day": 1, "1-7 days": 1, "7-30 days": 0, "over 30 days": 0 } },
      { status: "accepted", total: 1, byAge: { "under 1 day": 0, "1-7 days": 0, "7-30 days": 0, "over 30 days": 1 } },
    ]);
    expect(columns.task.map((l) => [l.status, l.total])).toEqual([["none", 1]]);
    expect(columns.appointment.map((l) => [l.status, l.byAge["7-30 days"]])).toEqual([["booked", 1]]);
  });

  it("ages a course by the latest change of any of its items", () => {
    const columns = boardColumns(
      {
        items: [],
        courses: [
          {
            id: "gp-1:K-1",
            package: "package-kol",
            packageName: "KOL",
            state: "in-progress",
            referral: { originator: "gp-1", id: "K-1" },
            items: [item("referral", "K-1", "received", 45), item("task", "T-1", "planned", 2)],
          },
        ],
        truncated: false,
      },
      NOW,
    );
    expect(columns.course).toEqual([
      {
        status: "in-progress",
        total: 1,
        byAge: { "under 1 day": 0, "1-7 days": 1, "7-30 days": 0, "over 30 days": 0 },
      },
    ]);
  });

  it("buckets ages at 1, 7 and 30 days", () => {
    expect([0, 0.99, 1, 6.99, 7, 29.99, 30].map((d) => ageBucket(NOW - d * DAY, NOW))).toEqual([
      "under 1 day",
      "under 1 day",
      "1-7 days",
      "1-7 days",
      "7-30 days",
      "7-30 days",
      "over 30 days",
    ]);
  });
});

import type { CareBoard } from "@carehub/store";

/** The age columns of a board: how long an item has stood in its current status. */
export const AGE_BUCKETS = ["under 1 day", "1-7 days", "7-30 days", "over 30 days"] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

const DAY_MS = 86_400_000;

export function ageBucket(sinceMs: number, now: number): AgeBucket {
  const days = (now - sinceMs) / DAY_MS;
  if (days < 1) return "under 1 day";
  if (days < 7) return "1-7 days";
  if (days < 30) return "7-30 days";
  return "over 30 days";
}

/** One lane of a board: a status (or a course state), how many items stand in it, by age. */
export interface BoardLane {
  status: string;
  total: number;
  byAge: Record<AgeBucket, number>;
}

export interface BoardColumns {
  referral: BoardLane[];
  task: BoardLane[];
  appointment: BoardLane[];
  course: BoardLane[];
}

/**
 * Groups an endpoint's items and courses by status and age (the console's boards). An item's age is the time since
 * its current status took effect (`since`), else since its first change; a course's, since the latest change of any
 * of its items. Status `none` is an item no status was stated for yet. Pure.
 */
export function boardColumns(board: CareBoard, now: number): BoardColumns {
  const lanes = () => new Map<string, BoardLane>();
  const columns = { referral: lanes(), task: lanes(), appointment: lanes(), course: lanes() };
  const count = (column: Map<string, BoardLane>, status: string, sinceMs: number) => {
    const lane = column.get(status) ?? {
      status,
      total: 0,
      byAge: Object.fromEntries(AGE_BUCKETS.map((b) => [b, 0])) as Record<AgeBucket, number>,
    };
    lane.total++;
    lane.byAge[ageBucket(Number.isFinite(sinceMs) ? sinceMs : now, now)]++;
    column.set(status, lane);
  };
  for (const item of board.items) {
    count(columns[item.type], item.status ?? "none", Date.parse(item.since ?? item.changes[0]?.at ?? ""));
  }
  for (const course of board.courses) {
    const latest = Math.max(...course.items.flatMap((i) => i.changes.map((c) => Date.parse(c.at))));
    count(columns.course, course.state, latest);
  }
  const sorted = (column: Map<string, BoardLane>) => [...column.values()].sort((a, b) => b.total - a.total);
  return {
    referral: sorted(columns.referral),
    task: sorted(columns.task),
    appointment: sorted(columns.appointment),
    course: sorted(columns.course),
  };
}

import type { CareItemRecord } from "./care-item.ts";

/** Who reads the overview: an operator, or an endpoint (authenticated by the query API). */
export type CareViewer = { kind: "operator" } | { kind: "endpoint"; id: string };

/**
 * The items of a course (or of a patient outside any course) a viewer may see — the one access rule of the care
 * overview (docs/architecture.md, "Who may do what"):
 * - an operator sees every item;
 * - the referring practice — the originator of the package referral — sees every item of its course: seeing the
 *   whole course is the point of the overview;
 * - any other endpoint sees only the items it is a party to (care-item.ts, `parties`); an endpoint party to none
 *   sees nothing, and the query API answers it exactly as if there were nothing.
 * `courseOwner` is undefined for items outside any course.
 */
export function visibleItems(
  viewer: CareViewer,
  records: readonly CareItemRecord[],
  courseOwner?: string,
): CareItemRecord[] {
  if (viewer.kind === "operator" || (courseOwner !== undefined && viewer.id === courseOwner)) return [...records];
  return records.filter((r) => r.parties.includes(viewer.id));
}

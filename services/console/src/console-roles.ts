import type { OperatorRole } from "@carehub/schemas";

/** What a console user may do beyond looking at flows and message records (docs/decisions/0041). */
export type ConsolePermission = "view-payload" | "search-patient" | "rerun" | "manage-incidents";

const GRANTS: Readonly<Record<OperatorRole, readonly ConsolePermission[]>> = {
  viewer: [],
  operator: ["view-payload", "search-patient", "rerun", "manage-incidents"],
  admin: ["view-payload", "search-patient", "rerun", "manage-incidents"],
};

export function mayDo(role: OperatorRole, permission: ConsolePermission): boolean {
  return GRANTS[role].includes(permission);
}

export function permissionsOf(role: OperatorRole): readonly ConsolePermission[] {
  return GRANTS[role];
}

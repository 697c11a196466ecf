import type { IssueSink } from "../issues.ts";

// A date-time with a time of day and no zone: 2026-03-02T10:15 or 2026-03-02T10:15:00(.123).
const ZONELESS = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$/;

function looksZoneless(value: string): boolean {
  // Cheap filter first: most strings are not date-times at all.
  return value.length >= 16 && value.length <= 29 && value.charCodeAt(10) === 84 && ZONELESS.test(value);
}

function hasZoneless(node: unknown): boolean {
  if (typeof node === "string") return looksZoneless(node);
  if (typeof node !== "object" || node === null) return false;
  if (Array.isArray(node)) {
    for (const item of node) if (hasZoneless(item)) return true;
    return false;
  }
  for (const key in node) if (hasZoneless((node as Record<string, unknown>)[key])) return true;
  return false;
}

/**
 * MedCom requires a time zone on every dateTime/instant that has a time of day. One walk over the whole
 * Bundle finds them all, wherever they are (the profile-specific readers only check that times are valid).
 * The paths are worked out only when there is something to report, so a valid message pays for one plain walk.
 */
export function reportZonelessTimes(root: unknown, issues: IssueSink): void {
  if (!hasZoneless(root)) return;
  const path: string[] = ["Bundle"];
  const walk = (node: unknown): void => {
    if (typeof node === "string") {
      if (looksZoneless(node))
        issues.error("CAREHUB_ERR_FHIR_TIMEZONE_MISSING", path.join(""), "a date-time has no time zone (Z or ±hh:mm)");
      return;
    }
    if (typeof node !== "object" || node === null) return;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        path.push(`[${i}]`);
        walk(node[i]);
        path.pop();
      }
      return;
    }
    for (const key in node) {
      path.push(`.${key}`);
      walk((node as Record<string, unknown>)[key]);
      path.pop();
    }
  };
  walk(root);
}

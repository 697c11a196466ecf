import type { ValidationIssue } from "@carehub/schemas";
import { type OioxmlErrorCode, REFUSE_CODE_FOR, type RefuseCode } from "./codes.ts";

/** One problem, with the refuse code that fits it (the caller may override it, e.g. for a receiver's id). */
export function oioxmlIssue(
  code: OioxmlErrorCode,
  path: string,
  message: string,
  refuse?: RefuseCode,
): ValidationIssue {
  return { code, path, message, medcomCode: refuse ?? REFUSE_CODE_FOR[code] };
}

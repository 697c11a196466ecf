import type { ValidationIssue } from "@carehub/schemas";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { isValidDate, isValidTime } from "./identifiers.ts";
import { oioxmlIssue } from "./issue.ts";
import { RESULT_STATUS_CODES } from "./letter-types.ts";
import { childNames, childrenOf, textOf, type XmlElement } from "./xml-tree.ts";

const RESULT_STATUS: ReadonlySet<string> = new Set(RESULT_STATUS_CODES);

/**
 * Checks the typed values that can appear anywhere in a letter: every Date and Time element (in Sent,
 * Authorisation, SamplingDateTime, Confirmation, ...) and every ResultStatusCode. The tree is already bounded
 * in depth by the parser, so the recursion is too.
 */
export function checkValuesEverywhere(element: XmlElement | undefined, path: string, issues: ValidationIssue[]): void {
  for (const name of childNames(element)) {
    const list = childrenOf(element, name);
    list.forEach((child, index) => {
      const childPath = `${path}/${name}${list.length > 1 ? `[${index + 1}]` : ""}`;
      if (typeof child === "string" || name === "Date" || name === "Time" || name === "ResultStatusCode") {
        checkLeaf(name, textOf(child), childPath, issues);
      }
      if (typeof child !== "string") checkValuesEverywhere(child, childPath, issues);
    });
  }
}

function checkLeaf(name: string, value: string | undefined, path: string, issues: ValidationIssue[]): void {
  if (value === undefined) return;
  if (name === "Date" && !isValidDate(value)) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.DATE_INVALID, path, "a Date must be a real calendar date YYYY-MM-DD"));
  } else if (name === "Time" && !isValidTime(value)) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.TIME_INVALID, path, "a Time must be hh:mm (24-hour)"));
  } else if (name === "ResultStatusCode" && !RESULT_STATUS.has(value)) {
    issues.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.RESULT_STATUS_UNKNOWN,
        path,
        "ResultStatusCode must be proeve_modtaget, svar_midlertidigt, svar_endeligt or svar_rettet",
      ),
    );
  }
}

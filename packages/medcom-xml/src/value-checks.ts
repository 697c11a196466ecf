import type { ValidationIssue } from "@carehub/schemas";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { isValidDate, isValidTime } from "./identifiers.ts";
import { oioxmlIssue } from "./issue.ts";
import { RESULT_STATUS_CODES } from "./letter-types.ts";
import { textOf, type XmlElement } from "./xml-tree.ts";

const RESULT_STATUS: ReadonlySet<string> = new Set(RESULT_STATUS_CODES);

/** The element names whose values are checked wherever they are. */
const CHECKED: ReadonlySet<string> = new Set(["Date", "Time", "ResultStatusCode"]);

/**
 * Checks the typed values that can appear anywhere in a letter: every Date and Time element (in Sent,
 * Authorisation, SamplingDateTime, Confirmation, ...) and every ResultStatusCode. The tree is already bounded
 * in depth by the parser, so the recursion is too. Only those elements' texts are read, and an element's path
 * is spelled only for an issue (the walk keeps the steps to it): spelling every element's path and decoding
 * every leaf's text was most of this walk's cost, for nothing on a valid letter (docs/decisions/0117).
 */
export function checkValuesEverywhere(element: XmlElement | undefined, path: string, issues: ValidationIssue[]): void {
  // The steps to the element in hand: names, and positions among same-named siblings (0 when it has none).
  const names: string[] = [];
  const positions: number[] = [];
  const pathHere = () =>
    path + names.map((name, i) => (positions[i] ? `/${name}[${positions[i]}]` : `/${name}`)).join("");
  const walk = (node: XmlElement | undefined): void => {
    if (typeof node !== "object" || node === null) return;
    // childNames and childrenOf without their copies: own keys, element children only.
    for (const name of Object.keys(node)) {
      const list = node[name];
      if (name === "#text" || !Array.isArray(list)) continue;
      const checked = CHECKED.has(name);
      for (let index = 0; index < list.length; index++) {
        const child = list[index] as XmlElement;
        if (typeof child === "string" && !checked) continue;
        names.push(name);
        positions.push(list.length > 1 ? index + 1 : 0);
        if (checked) checkLeaf(name, textOf(child), pathHere, issues);
        walk(child);
        names.pop();
        positions.pop();
      }
    }
  };
  walk(element);
}

function checkLeaf(name: string, value: string | undefined, pathOf: () => string, issues: ValidationIssue[]): void {
  if (value === undefined) return;
  if (name === "Date" && !isValidDate(value)) {
    issues.push(
      oioxmlIssue(OIOXML_ERROR_CODES.DATE_INVALID, pathOf(), "a Date must be a real calendar date YYYY-MM-DD"),
    );
  } else if (name === "Time" && !isValidTime(value)) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.TIME_INVALID, pathOf(), "a Time must be hh:mm (24-hour)"));
  } else if (name === "ResultStatusCode" && !RESULT_STATUS.has(value)) {
    issues.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.RESULT_STATUS_UNKNOWN,
        pathOf(),
        "ResultStatusCode must be proeve_modtaget, svar_midlertidigt, svar_endeligt or svar_rettet",
      ),
    );
  }
}

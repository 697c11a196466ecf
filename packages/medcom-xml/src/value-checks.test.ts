import { describe, expect, it } from "vitest";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { checkValuesEverywhere } from "./value-checks.ts";
import type { XmlElement } from "./xml-tree.ts";

// The walk spells an element's path only for an issue, from the steps it keeps (decision 0117). Catches a step
// not taken back (a later issue's path naming an earlier sibling's subtree), a position counted wrong or written
// for an only child, and a checked value missed inside an element with text of its own or under a repeated parent.
describe("the letter's values checked everywhere", () => {
  it("names each bad value by its own path, however deep and among however many siblings", () => {
    const tree: XmlElement = {
      Sent: [{ Date: ["2024-02-30"], Time: ["10:15"] }],
      Result: [
        { ResultStatusCode: ["svar_endeligt"], Note: ["not a date"], Sample: [{ Date: ["2024-01-01"] }] },
        {
          ResultStatusCode: ["svar_maaske"],
          Sample: [{ Date: ["2024-01-01"] }, { Date: ["2024-13-01"], Time: ["25:10"] }],
        },
      ],
      Authorisation: [{ Date: [{ "#text": " 2024-04-31 " }], Time: ["09:00"] }],
      Date: ["2024-06-01", "2024-06-31"],
    };
    const issues: Parameters<typeof checkValuesEverywhere>[2] = [];
    checkValuesEverywhere(tree, "Emessage/Letter", issues);
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      [OIOXML_ERROR_CODES.DATE_INVALID, "Emessage/Letter/Sent/Date"],
      [OIOXML_ERROR_CODES.RESULT_STATUS_UNKNOWN, "Emessage/Letter/Result[2]/ResultStatusCode"],
      [OIOXML_ERROR_CODES.DATE_INVALID, "Emessage/Letter/Result[2]/Sample[2]/Date"],
      [OIOXML_ERROR_CODES.TIME_INVALID, "Emessage/Letter/Result[2]/Sample[2]/Time"],
      [OIOXML_ERROR_CODES.DATE_INVALID, "Emessage/Letter/Authorisation/Date"],
      [OIOXML_ERROR_CODES.DATE_INVALID, "Emessage/Letter/Date[2]"],
    ]);
  });
});

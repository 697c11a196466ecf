import type { AcknowledgementCode, ContentOf, MessageRef, ValidationIssue } from "@carehub/schemas";
import { OIOXML_ERROR_CODES, REFUSE_CODES, type RefuseCode } from "./codes.ts";
import { oioxmlIssue } from "./issue.ts";
import { checkGln, requiredText } from "./read-header.ts";
import { childOf, childrenOf, textAt, type XmlElement } from "./xml-tree.ts";

/** Refuse codes that say resending the same letter unchanged will fail the same way. */
const PERMANENT_REFUSALS: ReadonlySet<RefuseCode> = new Set([
  "ukendt_lokationsnummer",
  "problem_med_modtagerID",
  "problem_med_version",
  "syntaksfejl",
]);

export interface ReceiptFields {
  content: ContentOf<"acknowledgement">;
  inReplyTo?: MessageRef;
}

/**
 * XCTL01/02/03 → acknowledgement.
 * - XCTL03 positive receipt → ok.
 * - XCTL02 negative receipt from the receiving system → fatal-error, its RefuseCode/RefuseText as the issue.
 * - XCTL01 negative VANS receipt: the network could not deliver the envelope. A refusal for an unknown
 *   location number, a receiver id, version or syntax problem fails the same way on every resend, so it is
 *   fatal-error; an unspecified refusal (ikke_specificeret) may be a network fault and is transient-error.
 * respondsTo is the first OriginalLetter's identifier (a VANS receipt may list several letters of the
 * refused envelope; the others are named in the issues).
 */
export function readReceipt(
  letter: XmlElement,
  letterPath: string,
  receipt: "XCTL01" | "XCTL02" | "XCTL03",
  issues: ValidationIssue[],
): ReceiptFields {
  const originalPath = `${letterPath}/OriginalEmessage`;
  const original = childOf(letter, "OriginalEmessage");
  if (original === undefined) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.REQUIRED_MISSING, originalPath, "OriginalEmessage is required"));
  }
  const originalSender = textAt(original, "OriginalSender", "EANIdentifier");
  if (originalSender !== undefined) {
    checkGln(originalSender, `${originalPath}/OriginalSender/EANIdentifier`, issues, "original sender");
  }
  const letters = childrenOf(original, "OriginalLetter");
  const firstLetter = letters[0];
  const respondsTo =
    requiredText(
      firstLetter,
      `${originalPath}/OriginalLetter`,
      ["OriginalLetterIdentifier"],
      issues,
      "the original letter identifier",
    ) ?? "";
  // XCTL02 refuses per letter (inside OriginalLetter), XCTL01 per envelope (inside OriginalEmessage).
  const refuseHolder = receipt === "XCTL02" ? firstLetter : original;
  const refusePath = receipt === "XCTL02" ? `${originalPath}/OriginalLetter` : originalPath;
  const refuseCode = receipt === "XCTL03" ? undefined : readRefuseCode(refuseHolder, refusePath, issues);
  const refuseText = textAt(refuseHolder, "RefuseText");
  let code: AcknowledgementCode = "ok";
  if (receipt === "XCTL02") code = "fatal-error";
  if (receipt === "XCTL01")
    code = refuseCode !== undefined && PERMANENT_REFUSALS.has(refuseCode) ? "fatal-error" : "transient-error";
  const ackIssues: ContentOf<"acknowledgement">["issues"] = [];
  if (receipt !== "XCTL03") {
    ackIssues.push({
      severity: "error",
      code: refuseCode ?? "ikke_specificeret",
      ...(refuseText === undefined ? {} : { text: refuseText }),
    });
    for (const other of letters.slice(1)) {
      const id = textAt(other, "OriginalLetterIdentifier");
      if (id !== undefined)
        ackIssues.push({ severity: "error", code: refuseCode ?? "ikke_specificeret", text: `letter ${id}` });
    }
  }
  return {
    content: { kind: "acknowledgement", code, respondsTo, issues: ackIssues },
    ...(respondsTo === ""
      ? {}
      : {
          inReplyTo: { messageId: respondsTo, ...(originalSender === undefined ? {} : { senderGln: originalSender }) },
        }),
  };
}

function readRefuseCode(
  holder: XmlElement | undefined,
  path: string,
  issues: ValidationIssue[],
): RefuseCode | undefined {
  const value = requiredText(holder, path, ["RefuseCode"], issues, "the RefuseCode");
  if (value === undefined) return undefined;
  if ((REFUSE_CODES as readonly string[]).includes(value)) return value as RefuseCode;
  issues.push(
    oioxmlIssue(
      OIOXML_ERROR_CODES.VALUE_NOT_ALLOWED,
      `${path}/RefuseCode`,
      `RefuseCode must be one of ${REFUSE_CODES.join(", ")}`,
    ),
  );
  return undefined;
}

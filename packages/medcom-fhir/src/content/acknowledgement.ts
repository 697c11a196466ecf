import type { AcknowledgementCode, ContentOf } from "@carehub/schemas";
import { codings, obj, objects, str } from "../fhir-json.ts";
import type { IndexedEntry } from "../read/bundle-index.ts";
import { FHIR_ID } from "../read/identifiers.ts";
import { isKnownAcknowledgementIssueDetail } from "../terminology/medcom-codes.ts";
import type { ReadContext } from "./context.ts";

const RESPONSE_CODES: ReadonlySet<string> = new Set(["ok", "transient-error", "fatal-error"]);

export function readAcknowledgement(ctx: ReadContext): ContentOf<"acknowledgement"> | undefined {
  const { header, issues, bundle } = ctx;
  const response = obj(header.resource, "response");
  const respondsTo = str(response, "identifier");
  const code = str(response, "code");
  if (response === undefined || respondsTo === undefined || code === undefined) {
    issues.error(
      "CAREHUB_ERR_FHIR_ACK_RESPONSE_MISSING",
      `${header.path}.response`,
      "an acknowledgement needs MessageHeader.response with an identifier and a code",
    );
  } else if (!FHIR_ID.test(respondsTo)) {
    issues.error(
      "CAREHUB_ERR_FHIR_ID_INVALID",
      `${header.path}.response.identifier`,
      "response.identifier must be the acknowledged MessageHeader.id (a FHIR id)",
    );
  }
  if (code !== undefined && !RESPONSE_CODES.has(code)) {
    issues.error(
      "CAREHUB_ERR_FHIR_ACK_RESPONSE_CODE",
      `${header.path}.response.code`,
      "response.code must be ok, transient-error or fatal-error",
    );
  }
  const outcome: IndexedEntry | undefined =
    bundle.resolveRef(obj(response, "details"), "OperationOutcome") ?? bundle.ofType("OperationOutcome")[0];
  if (outcome === undefined && code !== undefined && code !== "ok")
    issues.error(
      "CAREHUB_ERR_FHIR_ACK_OUTCOME_MISSING",
      "Bundle.entry",
      "a negative acknowledgement must contain an OperationOutcome",
    );
  const outIssues: ContentOf<"acknowledgement">["issues"] = [];
  if (outcome !== undefined) {
    for (const { value: issue, index } of objects(outcome.resource, "issue")) {
      const details = obj(issue, "details");
      const coding = codings(details)[0];
      const detailCode = str(coding, "code");
      if (coding !== undefined && !isKnownAcknowledgementIssueDetail(str(coding, "system"), detailCode))
        issues.error(
          "CAREHUB_ERR_FHIR_ACK_ISSUE_CODE",
          `${outcome.path}.issue[${index}].details`,
          "the issue details code is in no published version of the MedCom acknowledgement issue-details ValueSet",
        );
      const item: ContentOf<"acknowledgement">["issues"][number] = {
        severity: str(issue, "severity") ?? "",
        code: detailCode ?? str(issue, "code") ?? "",
      };
      const text = str(details, "text") ?? str(issue, "diagnostics");
      if (text !== undefined) item.text = text;
      outIssues.push(item);
    }
  }
  return {
    kind: "acknowledgement",
    code: (RESPONSE_CODES.has(code ?? "") ? code : "fatal-error") as AcknowledgementCode,
    respondsTo: respondsTo ?? "",
    issues: outIssues,
  };
}

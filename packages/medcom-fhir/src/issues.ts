import type { ValidationIssue } from "@carehub/schemas";
import { FHIR_ISSUE_CODES, type FhirIssueCode } from "./codes.ts";

/** One problem, with the MedCom acknowledgement issue-details code that fits it. */
export function fhirIssue(code: FhirIssueCode, path: string, message: string): ValidationIssue {
  const medcomCode = FHIR_ISSUE_CODES[code].medcom;
  return medcomCode === undefined ? { code, path, message } : { code, path, message, medcomCode };
}

/** Collects errors (the message is invalid) and warnings (worth telling, not worth rejecting). */
export class IssueSink {
  readonly errors: ValidationIssue[];
  readonly warnings: ValidationIssue[];
  private readonly errorsAreWarnings: boolean;

  constructor(shared?: IssueSink, errorsAreWarnings = false) {
    this.errors = shared?.errors ?? [];
    this.warnings = shared?.warnings ?? [];
    this.errorsAreWarnings = errorsAreWarnings;
  }

  error(code: FhirIssueCode, path: string, message: string): void {
    if (this.errorsAreWarnings)
      this.warnings.push(fhirIssue(code, path, `${message} (only a warning: the message declares an earlier release)`));
    else this.errors.push(fhirIssue(code, path, message));
  }

  warning(code: FhirIssueCode, path: string, message: string): void {
    this.warnings.push(fhirIssue(code, path, message));
  }

  /** The same sink, reporting errors as warnings: for rules that the release a message declares did not have yet. */
  asWarnings(): IssueSink {
    return new IssueSink(this, true);
  }
}

import { obj, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import type { BundleIndex } from "./bundle-index.ts";

const NOT_BLANK = /\S/;

/**
 * MedCom says every resource's narrative "SHALL always be included", but only in the element's short text: the
 * profiles (e.g. MedComCareCommunication: `text MS`) keep `text` at 0..1 with no invariant, so a validator that
 * checks the profiles accepts a message without it, and base FHIR treats a missing narrative (dom-6) as a
 * best-practice warning. The hub never reads the narrative. So a missing one is a warning, not a rejection.
 * (Every published example in the corpus carries one, JSON and XML alike.)
 */
export function reportMissingNarratives(bundle: BundleIndex, issues: IssueSink): void {
  for (const entry of bundle.entries) {
    const div = str(obj(entry.resource, "text"), "div");
    // A regex test, not trim(): narratives run to kilobytes, and copying each would cost.
    if (div === undefined || !NOT_BLANK.test(div))
      issues.warning(
        "CAREHUB_ERR_FHIR_NARRATIVE_MISSING",
        `${entry.path}.text`,
        `the ${entry.resource.resourceType} has no narrative (text.div), which MedCom says SHALL always be included`,
      );
  }
}

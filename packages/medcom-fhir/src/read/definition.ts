import { type FhirObject, obj, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import type { MessageProfile } from "../message-profiles.ts";
import type { IndexedEntry } from "./bundle-index.ts";

/** Whether the Bundle declares (in meta.profile, with or without a |version) one of `canonicals`. */
export function declaresProfile(root: FhirObject, canonicals: readonly string[] | undefined): boolean {
  if (canonicals === undefined || canonicals.length === 0) return false;
  const profiles = obj(root, "meta")?.profile;
  if (!Array.isArray(profiles)) return false;
  return profiles.some((p) => typeof p === "string" && canonicals.includes(p.split("|")[0] ?? ""));
}

/** Checks MessageHeader.definition for the standards that require it (CareCommunication, HomeCareObservation). */
export function checkDefinition(header: IndexedEntry, profile: MessageProfile, issues: IssueSink): void {
  const rule = profile.definition;
  if (rule === undefined) return;
  const path = `${header.path}.definition`;
  const definition = str(header.resource, "definition");
  if (definition === undefined)
    issues.error(
      "CAREHUB_ERR_FHIR_DEFINITION_MISSING",
      path,
      `MessageHeader.definition is required for ${profile.standard}: ${rule.expected}`,
    );
  else if (!rule.pattern.test(definition))
    issues.error(
      "CAREHUB_ERR_FHIR_DEFINITION_INVALID",
      path,
      `MessageHeader.definition must be ${rule.expected} for ${profile.standard}`,
    );
}

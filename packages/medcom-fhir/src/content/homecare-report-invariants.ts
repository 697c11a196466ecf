import { firstCode, obj, objects, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import type { BundleIndex, IndexedEntry } from "../read/bundle-index.ts";
import { hasName, hasPhone } from "../read/practitioners.ts";

/** HomeCareObservation attachments: PDF, JPEG, PNG, TIFF, GIF (MedCom's attachment mime types for this standard). */
const MEDIA_TYPES: ReadonlySet<string> = new Set([
  "application/pdf",
  "image/jpeg",
  "image/png",
  "image/tiff",
  "image/gif",
]);

/** homecareReport-1/2/3: the performing PractitionerRole has a role code; its Practitioner a name and a phone. */
function checkPerformingRole(bundle: BundleIndex, role: IndexedEntry, issues: IssueSink): void {
  const hasCode = objects(role.resource, "code").some(({ value }) => firstCode(value) !== undefined);
  if (!hasCode)
    issues.error(
      "CAREHUB_ERR_FHIR_HCO_PERFORMER_ROLE",
      `${role.path}.code`,
      "the performing PractitionerRole has no role code",
    );
  const practitioner = bundle.resolveRef(obj(role.resource, "practitioner"), "Practitioner");
  if (practitioner === undefined) {
    issues.error(
      "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
      `${role.path}.practitioner`,
      "the performing PractitionerRole's practitioner does not resolve to a Practitioner in the Bundle",
    );
    return;
  }
  if (!hasName(practitioner.resource))
    issues.error(
      "CAREHUB_ERR_FHIR_HCO_PERFORMER_NAME",
      `${practitioner.path}.name`,
      "the performing practitioner has no name",
    );
  if (!hasPhone(practitioner.resource))
    issues.error(
      "CAREHUB_ERR_FHIR_HCO_PERFORMER_PHONE",
      `${practitioner.path}.telecom`,
      "the performing practitioner has no phone number (Practitioner.telecom with system phone)",
    );
}

/** DiagnosticReport.performer: exactly the producer Organization and one PractitionerRole, both in the Bundle. */
export function checkPerformers(bundle: BundleIndex, report: IndexedEntry, issues: IssueSink): void {
  const performers = objects(report.resource, "performer");
  const resolved: IndexedEntry[] = [];
  for (const { value: ref, index } of performers) {
    const target = bundle.resolveRef(ref);
    if (target === undefined)
      issues.error(
        "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
        `${report.path}.performer[${index}]`,
        "the performer does not resolve to a resource in the Bundle",
      );
    else resolved.push(target);
  }
  const organizations = resolved.filter((e) => e.resource.resourceType === "Organization");
  const roles = resolved.filter((e) => e.resource.resourceType === "PractitionerRole");
  const count = Array.isArray(report.resource.performer) ? report.resource.performer.length : performers.length;
  // Two performers of which one does not resolve are reported as unresolved only.
  const wrongTypes = resolved.length === count && (organizations.length !== 1 || roles.length !== 1);
  if (count !== 2 || wrongTypes)
    issues.error(
      "CAREHUB_ERR_FHIR_HCO_PERFORMER",
      `${report.path}.performer`,
      `DiagnosticReport.performer must be the producer Organization and one PractitionerRole (found ${count} performers)`,
    );
  for (const role of roles) checkPerformingRole(bundle, role, issues);
}

/** DiagnosticReport.media links resolve to Media in the Bundle, and every Media is a PDF or an image MedCom allows. */
export function checkMedia(bundle: BundleIndex, report: IndexedEntry, issues: IssueSink): void {
  for (const { value: media, index } of objects(report.resource, "media"))
    if (bundle.resolveRef(obj(media, "link"), "Media") === undefined)
      issues.error(
        "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
        `${report.path}.media[${index}].link`,
        "the media link does not resolve to a Media in the Bundle",
      );
  for (const media of bundle.ofType("Media")) {
    const contentType = str(obj(media.resource, "content"), "contentType");
    // Media types are case-insensitive and may carry parameters (e.g. "; name=x").
    const bare = contentType?.split(";")[0]?.trim().toLowerCase();
    if (bare === undefined || !MEDIA_TYPES.has(bare))
      issues.error(
        "CAREHUB_ERR_FHIR_HCO_MEDIA_TYPE",
        `${media.path}.content.contentType`,
        contentType === undefined
          ? "the Media attachment has no content type"
          : "the Media attachment's content type is not PDF, JPEG, PNG, TIFF or GIF",
      );
  }
}

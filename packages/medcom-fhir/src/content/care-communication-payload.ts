import type { CareCommunicationSegment } from "@carehub/schemas";
import { type FhirObject, obj, objects, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import type { BundleIndex, IndexedEntry } from "../read/bundle-index.ts";
import { partyOf } from "../read/parties.ts";
import { hasName } from "../read/practitioners.ts";
import { EXTENSIONS } from "../terminology/systems.ts";
import { checkTime } from "./check-time.ts";

/** The MedCom extensions of one payload segment (MedComCareCommunication payload slices). */
interface SegmentExtensions {
  date?: { value: string | undefined; path: string };
  identifier?: FhirObject;
  author: boolean;
  /** The author extension's reference and its path, for CC-7 / CC-8. */
  authorRef?: { ref: FhirObject; path: string };
  authorContact: boolean;
}

/** medcom-core-attachmentMimeTypes, every published version (1.8.1 added TIFF and BMP to PDF, GIF, JPEG, PNG). */
const ATTACHMENT_TYPES: ReadonlySet<string> = new Set([
  "application/pdf",
  "image/gif",
  "image/jpeg",
  "image/png",
  "image/tiff",
  "image/bmp",
]);

function readExtensions(payload: FhirObject, path: string): SegmentExtensions {
  const found: SegmentExtensions = { author: false, authorContact: false };
  for (const { value, index } of objects(payload, "extension")) {
    switch (str(value, "url")) {
      case EXTENSIONS.payloadDate:
        found.date = { value: str(value, "valueDateTime"), path: `${path}.extension[${index}].valueDateTime` };
        break;
      case EXTENSIONS.payloadIdentifier: {
        const identifier = obj(value, "valueIdentifier");
        if (identifier !== undefined) found.identifier = identifier;
        break;
      }
      case EXTENSIONS.payloadAuthor: {
        const ref = obj(value, "valueReference");
        found.author = str(ref, "reference") !== undefined;
        if (ref !== undefined) found.authorRef = { ref, path: `${path}.extension[${index}].valueReference` };
        break;
      }
      case EXTENSIONS.payloadContact:
        found.authorContact = str(obj(value, "valueContactPoint"), "value") !== undefined;
        break;
    }
  }
  return found;
}

function missingList(missing: string[]): string {
  return missing.length === 1 ? (missing[0] ?? "") : `${missing.slice(0, -1).join(", ")} or ${missing.at(-1)}`;
}

/** Reports what a segment lacks: date and identifier always; author and author contact on text; title on attachments. */
function checkSegment(
  payload: FhirObject,
  path: string,
  type: CareCommunicationSegment["type"],
  ext: SegmentExtensions,
  issues: IssueSink,
): void {
  const missing: string[] = [];
  if (ext.date?.value === undefined) missing.push("date");
  if (str(ext.identifier, "value") === undefined) missing.push("identifier");
  if (type === "text") {
    if (!ext.author) missing.push("author");
    if (!ext.authorContact) missing.push("author contact");
    if (missing.length > 0)
      issues.error(
        "CAREHUB_ERR_FHIR_CC_TEXT_SEGMENT_INCOMPLETE",
        `${path}.extension`,
        `the text segment has no ${missingList(missing)} extension`,
      );
    return;
  }
  const attachment = obj(payload, "contentAttachment");
  checkAttachmentType(attachment, `${path}.contentAttachment.contentType`, issues);
  const title = str(attachment, "title");
  if (title === undefined || title.trim() === "")
    issues.error(
      "CAREHUB_ERR_FHIR_CC_ATTACHMENT_INCOMPLETE",
      `${path}.contentAttachment.title`,
      "the attachment segment has no title",
    );
  if (missing.length > 0)
    issues.error(
      "CAREHUB_ERR_FHIR_CC_ATTACHMENT_INCOMPLETE",
      `${path}.extension`,
      `the attachment segment has no ${missingList(missing)} extension`,
    );
}

/** An attached file (data) needs a content type from the MedCom ValueSet; a link (url only) need not have one. */
function checkAttachmentType(attachment: FhirObject | undefined, path: string, issues: IssueSink): void {
  const contentType = str(attachment, "contentType");
  // Media types are case-insensitive and may carry parameters (e.g. "; name=x").
  const bare = contentType?.split(";")[0]?.trim().toLowerCase();
  if (bare === undefined ? str(attachment, "data") === undefined : ATTACHMENT_TYPES.has(bare)) return;
  issues.error(
    "CAREHUB_ERR_FHIR_CC_ATTACHMENT_TYPE",
    path,
    bare === undefined
      ? "the attached file has no content type"
      : "the attachment's content type is not in medcom-core-attachmentMimeTypes",
  );
}

/** CC-7 / CC-8: a segment's author PractitionerRole has one role (code or text) and a named Practitioner. */
function checkAuthor(bundle: BundleIndex, author: SegmentExtensions["authorRef"], issues: IssueSink): void {
  if (author === undefined) return;
  const role = bundle.resolveRef(author.ref, "PractitionerRole");
  // An author that does not resolve is reported by the reference check; a Practitioner author has no role.
  if (role === undefined) return;
  const codes = objects(role.resource, "code").map(({ value }) => value);
  const coded = codes.some((code) => objects(code, "coding").some(({ value }) => str(value, "code") !== undefined));
  const texted = codes.some((code) => str(code, "text") !== undefined);
  if (coded === texted)
    issues.error(
      "CAREHUB_ERR_FHIR_CC_AUTHOR_ROLE",
      `${role.path}.code`,
      coded ? "the author's role is given both as a code and as a text" : "the author's PractitionerRole has no role",
    );
  const practitioner = bundle.resolveRef(obj(role.resource, "practitioner"), "Practitioner");
  if (practitioner === undefined || !hasName(practitioner.resource))
    issues.error(
      "CAREHUB_ERR_FHIR_CC_AUTHOR_NAME",
      `${role.path}.practitioner`,
      "the author's PractitionerRole does not lead to a Practitioner with a name",
    );
}

/**
 * Checks the payload segments of a CareCommunication and lists them without their content: at least one text
 * segment; every segment with a date and an identifier; text segments signed (author, author contact);
 * attachments titled. Segments of another type (contentReference) are outside MedCom's slices and not listed.
 */
export function readSegments(
  bundle: BundleIndex,
  communication: IndexedEntry,
  issues: IssueSink,
): CareCommunicationSegment[] {
  const segments: CareCommunicationSegment[] = [];
  let textSegments = 0;
  for (const { value: payload, index } of objects(communication.resource, "payload")) {
    const attachment = obj(payload, "contentAttachment");
    const type =
      typeof payload.contentString === "string" ? "text" : attachment !== undefined ? "attachment" : undefined;
    if (type === undefined) continue;
    if (type === "text") textSegments++;
    const path = `${communication.path}.payload[${index}]`;
    const ext = readExtensions(payload, path);
    checkSegment(payload, path, type, ext, issues);
    checkAuthor(bundle, ext.authorRef, issues);
    const id = str(ext.identifier, "value");
    if (id === undefined) continue;
    const segment: CareCommunicationSegment = { id, type };
    const writtenAt =
      ext.date === undefined ? undefined : checkTime(ext.date.value, ext.date.path, "the segment date", issues);
    if (writtenAt !== undefined) segment.writtenAt = writtenAt;
    const assigner = bundle.resolveRef(obj(ext.identifier, "assigner"), "Organization");
    const sor = assigner === undefined ? undefined : partyOf(assigner).sor;
    if (sor !== undefined) segment.authorOrganizationSor = sor;
    const contentType = str(attachment, "contentType");
    if (type === "attachment" && contentType !== undefined) segment.contentType = contentType;
    segments.push(segment);
  }
  if (textSegments === 0)
    issues.error(
      "CAREHUB_ERR_FHIR_CC_TEXT_SEGMENT_MISSING",
      `${communication.path}.payload`,
      "the CareCommunication must have at least one text segment (payload.contentString)",
    );
  return segments;
}

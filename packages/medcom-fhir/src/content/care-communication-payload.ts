import type { CareCommunicationSegment } from "@carehub/schemas";
import { type FhirObject, obj, objects, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import type { BundleIndex, IndexedEntry } from "../read/bundle-index.ts";
import { partyOf } from "../read/parties.ts";
import { EXTENSIONS } from "../terminology/systems.ts";
import { checkTime } from "./check-time.ts";

/** The MedCom extensions of one payload segment (MedComCareCommunication payload slices). */
interface SegmentExtensions {
  date?: { value: string | undefined; path: string };
  identifier?: FhirObject;
  author: boolean;
  authorContact: boolean;
}

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
      case EXTENSIONS.payloadAuthor:
        found.author = str(obj(value, "valueReference"), "reference") !== undefined;
        break;
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
  const title = str(obj(payload, "contentAttachment"), "title");
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

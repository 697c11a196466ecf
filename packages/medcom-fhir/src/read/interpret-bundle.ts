import type { MessageContent, ParsedMessage, ParseResult, PartialMessage, WireFormat } from "@carehub/schemas";
import { SUBJECT_RESOURCE } from "../carehub-status.ts";
import { readAcknowledgement } from "../content/acknowledgement.ts";
import { readCareCommunication } from "../content/care-communication.ts";
import { readNotification, readReferral, readStatusUpdate, readTaskRequisition } from "../content/carehub.ts";
import type { ReadContext } from "../content/context.ts";
import { readHomecareObservation } from "../content/homecare-observation.ts";
import { readHospitalNotification } from "../content/hospital-notification.ts";
import { readLabResult } from "../content/lab-result.ts";
import { type FhirObject, type FhirResource, isObject, obj, objects, str } from "../fhir-json.ts";
import { IssueSink } from "../issues.ts";
import type { ParseLimits } from "../limits.ts";
import type { MessageProfile } from "../message-profiles.ts";
import { BundleIndex, type IndexedEntry } from "./bundle-index.ts";
import { checkDateTime } from "./date-time.ts";
import { checkDefinition, declaresProfile } from "./definition.ts";
import { FHIR_ID } from "./identifiers.ts";
import { reportMissingNarratives } from "./narrative.ts";
import { hasAddress } from "./parties.ts";
import { readPatient } from "./patient.ts";
import { readProvenance } from "./provenance.ts";
import { declaredVersion, readHeader } from "./read-header.ts";
import { reportZonelessTimes } from "./zoneless-times.ts";

function checkBundleShell(root: FhirObject, issues: IssueSink): void {
  if (root.type !== "message")
    issues.error("CAREHUB_ERR_FHIR_BUNDLE_TYPE", "Bundle.type", "Bundle.type must be message");
  const id = str(root, "id");
  if (id === undefined) issues.error("CAREHUB_ERR_FHIR_BUNDLE_ID_MISSING", "Bundle.id", "Bundle.id is missing");
  else if (!FHIR_ID.test(id))
    issues.error("CAREHUB_ERR_FHIR_ID_INVALID", "Bundle.id", "Bundle.id breaks the FHIR id rule");
  const timestamp = str(root, "timestamp");
  if (timestamp === undefined)
    issues.error("CAREHUB_ERR_FHIR_TIMESTAMP_MISSING", "Bundle.timestamp", "Bundle.timestamp is missing");
  else {
    const check = checkDateTime(timestamp, true);
    if (check === "invalid")
      issues.error("CAREHUB_ERR_FHIR_DATETIME_INVALID", "Bundle.timestamp", "Bundle.timestamp is not a valid instant");
  }
}

/** Indexes the entries, checking that each holds a resource with a valid, unique id. */
function indexEntries(
  root: FhirObject,
  issues: IssueSink,
): { index: BundleIndex; fullUrls: Map<IndexedEntry, string> } {
  const index = new BundleIndex();
  const fullUrls = new Map<IndexedEntry, string>();
  const entries = Array.isArray(root.entry) ? root.entry : [];
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    const resource = obj(entry, "resource");
    const path = `Bundle.entry[${i}].resource`;
    if (resource === undefined || typeof resource.resourceType !== "string") {
      issues.error(
        "CAREHUB_ERR_FHIR_ENTRY_INVALID",
        `Bundle.entry[${i}]`,
        "the entry has no resource with a resourceType",
      );
      continue;
    }
    const id = resource.id;
    if (typeof id !== "string" || !FHIR_ID.test(id))
      issues.error(
        "CAREHUB_ERR_FHIR_ID_INVALID",
        `${path}.id`,
        `the ${resource.resourceType} id is missing or invalid`,
      );
    const indexed: IndexedEntry = { resource: resource as FhirResource, index: i, path };
    const fullUrl = str(entry, "fullUrl");
    if (fullUrl !== undefined) fullUrls.set(indexed, fullUrl);
    // FHIR (bdl-7) and MedCom require unique fullUrls, not unique resource ids, and MedCom's HospitalNotification
    // examples repeat ids: a warning. References resolve by fullUrl first, so nothing is misread.
    if (index.add(indexed, fullUrl) !== undefined)
      issues.warning(
        "CAREHUB_ERR_FHIR_DUPLICATE_RESOURCE",
        `${path}.id`,
        `another ${resource.resourceType} in the Bundle has the same id`,
      );
  }
  return { index, fullUrls };
}

function resolveFocus(bundle: BundleIndex, header: IndexedEntry, profile: MessageProfile, issues: IssueSink) {
  const ref = objects(header.resource, "focus")[0]?.value;
  if (profile.kind === "status-update") {
    const target = bundle.resolveRef(ref);
    const type = target?.resource.resourceType;
    if (target !== undefined && Object.values(SUBJECT_RESOURCE).some((t) => t === type)) return target;
    issues.error(
      "CAREHUB_ERR_FHIR_FOCUS_MISSING",
      `${header.path}.focus`,
      "a status update's focus must be a ServiceRequest, Task or Appointment in the Bundle",
    );
    return undefined;
  }
  if (profile.focus === undefined) return undefined;
  const target = bundle.resolveRef(ref, profile.focus);
  if (target === undefined)
    issues.error(
      "CAREHUB_ERR_FHIR_FOCUS_MISSING",
      `${header.path}.focus`,
      `MessageHeader.focus must reference the ${profile.focus} in the Bundle`,
    );
  return target;
}

function readContent(ctx: ReadContext): MessageContent | undefined {
  switch (ctx.profile.kind) {
    case "care-communication":
      return readCareCommunication(ctx);
    case "hospital-notification":
      return readHospitalNotification(ctx);
    case "homecare-observation":
      return readHomecareObservation(ctx);
    case "acknowledgement":
      return readAcknowledgement(ctx);
    case "empty":
      return { kind: "empty" };
    case "referral":
      return readReferral(ctx);
    case "task-requisition":
      return readTaskRequisition(ctx);
    case "notification":
      return readNotification(ctx);
    case "status-update":
      return readStatusUpdate(ctx);
    case "lab-result":
      return readLabResult(ctx);
  }
}

function findHeader(index: BundleIndex, issues: IssueSink): IndexedEntry | undefined {
  const first = index.entries[0];
  if (first !== undefined && first.index === 0 && first.resource.resourceType === "MessageHeader") return first;
  issues.error(
    "CAREHUB_ERR_FHIR_FIRST_ENTRY_NOT_HEADER",
    "Bundle.entry[0].resource",
    "the first entry of a message Bundle must be its MessageHeader",
  );
  // Read on from a MessageHeader elsewhere, so that the sender can still be answered.
  return index.ofType("MessageHeader")[0];
}

/** Validates a FHIR JSON document as a MedCom message and normalises it into a ParsedMessage. */
export function interpretBundle(root: unknown, format: WireFormat, limits: ParseLimits): ParseResult {
  const issues = new IssueSink();
  const partial: PartialMessage = { format };
  if (!isObject(root) || root.resourceType !== "Bundle") {
    issues.error("CAREHUB_ERR_FHIR_NOT_BUNDLE", "resourceType", "the document is not a FHIR Bundle");
    return { ok: false, partial, issues: issues.errors };
  }
  const envelopeId = str(root, "id");
  if (envelopeId !== undefined) partial.envelopeId = envelopeId;
  const entryCount = Array.isArray(root.entry) ? root.entry.length : 0;
  if (entryCount > limits.maxEntries) {
    issues.error(
      "CAREHUB_ERR_FHIR_TOO_MANY_ENTRIES",
      "Bundle.entry",
      `the Bundle has more than ${limits.maxEntries} entries`,
    );
    return { ok: false, partial, issues: issues.errors };
  }
  checkBundleShell(root, issues);
  reportZonelessTimes(root, issues);
  const { index, fullUrls } = indexEntries(root, issues);
  reportMissingNarratives(index, issues);
  const header = findHeader(index, issues);
  if (header === undefined) return { ok: false, partial, issues: issues.errors };

  const messageId = header.resource.id;
  if (typeof messageId === "string" && messageId.length > 0) partial.messageId = messageId;
  const { profile, sender, receivers } = readHeader(index, header, issues);
  if (profile !== undefined) {
    partial.kind = profile.kind;
    partial.standard = profile.standard;
    partial.ackRequested = profile.kind !== "acknowledgement";
  }
  if (sender !== undefined && hasAddress(sender)) partial.sender = sender;
  const addressable = receivers.filter(hasAddress);
  if (addressable.length > 0) partial.receivers = addressable;

  const provenance = readProvenance(index, header, fullUrls.get(header), profile, issues);
  if (profile === undefined) return { ok: false, partial, issues: issues.errors };
  const newRules = declaresProfile(root, profile.earlierReleases) ? issues.asWarnings() : issues;
  checkDefinition(header, profile, newRules);
  const patient = readPatient(index, profile.patient === "exactly-one", issues);
  const ctx: ReadContext = { root, bundle: index, header, profile, provenance, issues, newRules };
  if (patient !== undefined) ctx.patient = patient;
  const focus = resolveFocus(index, header, profile, issues);
  if (focus !== undefined) ctx.focus = focus;
  const content = readContent(ctx);

  if (
    issues.errors.length > 0 ||
    content === undefined ||
    partial.messageId === undefined ||
    partial.sender === undefined
  ) {
    if (issues.errors.length === 0)
      issues.error(
        "CAREHUB_ERR_FHIR_INTERNAL",
        "Bundle",
        "the message could not be read, though no rule named a problem",
      );
    return { ok: false, partial, issues: issues.errors };
  }
  const message: ParsedMessage = {
    kind: profile.kind,
    format,
    standard: profile.standard,
    messageId: partial.messageId,
    sender: partial.sender,
    receivers: addressable,
    links: provenance.links,
    ackRequested: profile.kind !== "acknowledgement",
    content,
  };
  const version = declaredVersion(root, header);
  if (version !== undefined) message.standardVersion = version;
  if (envelopeId !== undefined) message.envelopeId = envelopeId;
  const sentAt = str(root, "timestamp");
  if (sentAt !== undefined) message.sentAt = sentAt;
  if (patient?.identifier !== undefined) message.patient = patient.identifier;
  return { ok: true, message, warnings: issues.warnings };
}

import type { ConversationLinks, MessageRef } from "@carehub/schemas";
import { firstCode, obj, objects, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import type { MessageProfile } from "../message-profiles.ts";
import { ACTIVITY_CODES } from "../terminology/medcom-codes.ts";
import { SYSTEMS } from "../terminology/systems.ts";
import { type BundleIndex, type IndexedEntry, referencedId, referencesId } from "./bundle-index.ts";
import { checkDateTime } from "./date-time.ts";

export interface ProvenanceReading {
  /** The Provenance of this message (the newest one targeting its MessageHeader). */
  current?: IndexedEntry;
  activity?: string;
  links: ConversationLinks;
}

type LinkField = keyof ConversationLinks;

/** Which conversation link an activity makes (HospitalNotification revise-/cancel- are corrections/retractions). */
function linkFieldFor(activity: string | undefined, role: string | undefined): LinkField | undefined {
  if (activity === "reply-message" || activity === "acknowledgement") return "inReplyTo";
  if (activity === "forward-message") return "forwards";
  if (activity === "modified-message" || activity?.startsWith("revise-")) return "corrects";
  if (activity === "retract-message" || activity?.startsWith("cancel-")) return "retracts";
  return role === "removal" ? "retracts" : undefined;
}

/** Activities that only make sense about an earlier message, so the Provenance must name it. */
function needsEarlierMessage(activity: string | undefined): boolean {
  return linkFieldFor(activity, undefined) !== undefined;
}

/**
 * What `entity.what` names: `MessageHeader/<id>` for an earlier FHIR message, or the identifier
 * `<GLN>#<letter id>` for an OIOXML/EDIFACT predecessor (the MedCom examples also write `<letter id>#<GLN>`,
 * so the 13-digit side is taken as the GLN).
 */
export function messageRefOf(what: unknown): MessageRef | undefined {
  const headerId = referencedId(what, "MessageHeader");
  if (headerId !== undefined) return { messageId: headerId };
  const value = str(obj(what, "identifier"), "value");
  if (value === undefined || value.length === 0) return undefined;
  const hash = value.indexOf("#");
  if (hash <= 0 || hash === value.length - 1) return { messageId: value };
  const left = value.slice(0, hash);
  const right = value.slice(hash + 1);
  if (/^[0-9]{13}$/.test(right) && !/^[0-9]{13}$/.test(left)) return { messageId: left, senderGln: right };
  return { messageId: right, senderGln: left };
}

function checkTimes(entry: IndexedEntry, issues: IssueSink): void {
  for (const field of ["occurredDateTime", "recorded"]) {
    const value = str(entry.resource, field);
    if (value === undefined) continue;
    const check = checkDateTime(value, field === "recorded");
    if (check === "invalid")
      issues.error(
        "CAREHUB_ERR_FHIR_DATETIME_INVALID",
        `${entry.path}.${field}`,
        `Provenance.${field} is not a valid time`,
      );
  }
}

function activityOf(entry: IndexedEntry): string | undefined {
  return (
    firstCode(obj(entry.resource, "activity"), SYSTEMS.activityCodes) ?? firstCode(obj(entry.resource, "activity"))
  );
}

export function readProvenance(
  bundle: BundleIndex,
  header: IndexedEntry,
  headerFullUrl: string | undefined,
  profile: MessageProfile | undefined,
  issues: IssueSink,
): ProvenanceReading {
  const headerId = header.resource.id ?? "";
  const all = bundle.ofType("Provenance");
  const targeting = all.filter((p) =>
    objects(p.resource, "target").some((t) => referencesId(t.value, "MessageHeader", headerId, headerFullUrl)),
  );
  // Several Provenance for one MessageHeader would be odd; the latest recorded (then the last) wins.
  let current: IndexedEntry | undefined;
  for (const p of targeting) {
    if (current === undefined || (str(p.resource, "recorded") ?? "") >= (str(current.resource, "recorded") ?? ""))
      current = p;
  }
  for (const p of all) {
    checkTimes(p, issues);
    if (p === current || profile === undefined) continue;
    const activity = activityOf(p);
    if (profile.allProvenanceRestricted && (activity === undefined || !profile.activities.has(activity)))
      issues.error(
        "CAREHUB_ERR_FHIR_ACTIVITY_NOT_ALLOWED",
        `${p.path}.activity`,
        `a historic Provenance has an activity that ${profile.standard} does not allow`,
      );
    else if (activity !== undefined && !ACTIVITY_CODES.has(activity))
      issues.warning(
        "CAREHUB_ERR_FHIR_ACTIVITY_UNKNOWN",
        `${p.path}.activity`,
        "a historic Provenance has an activity code outside the MedCom activity CodeSystem",
      );
  }
  const links: ConversationLinks = {};
  if (current === undefined) {
    issues.error(
      "CAREHUB_ERR_FHIR_PROVENANCE_MISSING",
      "Bundle.entry",
      all.length === 0 ? "the Bundle has no Provenance" : "no Provenance targets this message's MessageHeader",
    );
    return { links };
  }
  const activity = activityOf(current);
  if (profile !== undefined && (activity === undefined || !profile.activities.has(activity)))
    issues.error(
      "CAREHUB_ERR_FHIR_ACTIVITY_NOT_ALLOWED",
      `${current.path}.activity`,
      activity === undefined
        ? "the Provenance of this message has no activity code"
        : `activity ${activity} is not allowed for ${profile.standard}`,
    );
  let named = false;
  for (const { value: entity } of objects(current.resource, "entity")) {
    const role = str(entity, "role");
    if (role !== "revision" && role !== "removal") continue;
    const ref = messageRefOf(obj(entity, "what"));
    if (ref === undefined) continue;
    named = true;
    const field = linkFieldFor(activity, role);
    if (field !== undefined && links[field] === undefined) links[field] = ref;
  }
  if (!named && needsEarlierMessage(activity))
    issues.error(
      "CAREHUB_ERR_FHIR_PROVENANCE_ENTITY",
      `${current.path}.entity`,
      `a ${activity} Provenance must name the earlier message in entity.what`,
    );
  return activity === undefined ? { current, links } : { current, activity, links };
}

import type { Party } from "@carehub/schemas";
import { obj, objects, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import { type MessageProfile, profileForEvent } from "../message-profiles.ts";
import { EXTENSIONS } from "../terminology/systems.ts";
import type { BundleIndex, IndexedEntry } from "./bundle-index.ts";
import { readMessagingOrganization } from "./parties.ts";

export interface HeaderReading {
  profile?: MessageProfile;
  sender?: Party;
  /** Primary receiver first. */
  receivers: Party[];
}

function destinationUse(destination: unknown): string | undefined {
  for (const { value } of objects(destination, "extension")) {
    if (str(value, "url") === EXTENSIONS.destinationUse) return str(obj(value, "valueCoding"), "code");
  }
  return undefined;
}

/** Reads the event, the sender and the destinations of the MessageHeader. */
export function readHeader(bundle: BundleIndex, header: IndexedEntry, issues: IssueSink): HeaderReading {
  const h = header.resource;
  const eventCoding = obj(h, "eventCoding");
  const system = str(eventCoding, "system");
  const code = str(eventCoding, "code");
  let profile: MessageProfile | undefined;
  if (system === undefined || code === undefined) {
    issues.error(
      "CAREHUB_ERR_FHIR_EVENT_MISSING",
      `${header.path}.eventCoding`,
      "MessageHeader.eventCoding must have a system and a code",
    );
  } else {
    profile = profileForEvent(system, code);
    if (profile === undefined)
      issues.error(
        "CAREHUB_ERR_FHIR_EVENT_UNKNOWN",
        `${header.path}.eventCoding`,
        `event ${code} is not a known MedCom or carehub message type`,
      );
  }

  const sender = readMessagingOrganization(bundle, obj(h, "sender"), `${header.path}.sender`, "sender", issues);

  const primary: Party[] = [];
  const cc: Party[] = [];
  let primaryCount = 0;
  for (const { value: destination, index } of objects(h, "destination")) {
    const path = `${header.path}.destination[${index}]`;
    const use = destinationUse(destination);
    if (use !== "primary" && use !== "cc") {
      issues.error(
        "CAREHUB_ERR_FHIR_DESTINATION_USE",
        `${path}.extension`,
        "the destination has no destination-use extension with code primary or cc",
      );
      continue;
    }
    if (use === "cc") {
      // Every current MedCom FHIR standard forbids cc; carehub's profiles follow them.
      issues.error("CAREHUB_ERR_FHIR_DESTINATION_CC", path, "cc destinations are not allowed for this message");
    } else primaryCount++;
    const party = readMessagingOrganization(
      bundle,
      obj(destination, "receiver"),
      `${path}.receiver`,
      "receiver",
      issues,
    );
    if (party !== undefined) (use === "primary" ? primary : cc).push(party);
  }
  if (primaryCount !== 1)
    issues.error(
      "CAREHUB_ERR_FHIR_DESTINATION_PRIMARY",
      `${header.path}.destination`,
      `the MessageHeader must have exactly one primary destination, found ${primaryCount}`,
    );
  const result: HeaderReading = { receivers: [...primary, ...cc] };
  if (profile !== undefined) result.profile = profile;
  if (sender !== undefined) result.sender = sender;
  return result;
}

/** The version a message declares for its standard: from `Bundle.meta.profile|x` or `MessageHeader.definition|x`. */
export function declaredVersion(bundle: unknown, header: IndexedEntry): string | undefined {
  const profiles = obj(bundle, "meta")?.profile;
  const candidates: unknown[] = Array.isArray(profiles) ? [...profiles] : [];
  candidates.push(str(header.resource, "definition"));
  for (const c of candidates) {
    if (typeof c !== "string") continue;
    const bar = c.lastIndexOf("|");
    if (bar > 0 && bar < c.length - 1) return c.slice(bar + 1);
  }
  return undefined;
}

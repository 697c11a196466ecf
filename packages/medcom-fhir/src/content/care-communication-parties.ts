import type { FhirIssueCode } from "../codes.ts";
import { obj, objects, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import type { BundleIndex, IndexedEntry } from "../read/bundle-index.ts";
import { partyOf } from "../read/parties.ts";
import { hasName } from "../read/practitioners.ts";
import { EXTENSIONS } from "../terminology/systems.ts";
import type { ReadContext } from "./context.ts";

function defined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** The organizations a PractitionerRole (organization) or CareTeam (managingOrganization) belongs to. */
function organizationsOf(bundle: BundleIndex, member: IndexedEntry): IndexedEntry[] {
  const refs =
    member.resource.resourceType === "PractitionerRole"
      ? [obj(member.resource, "organization")]
      : objects(member.resource, "managingOrganization").map((x) => x.value);
  return refs.map((ref) => bundle.resolveRef(ref, "Organization")).filter(defined);
}

/** The same Organization entry, or two entries for the same SOR unit. */
function sameOrganization(a: IndexedEntry, b: IndexedEntry): boolean {
  if (a === b) return true;
  const sor = partyOf(a).sor;
  return sor !== undefined && sor === partyOf(b).sor;
}

/**
 * CC-11 / CC-12: a specific sender or recipient (a PractitionerRole or CareTeam in the Bundle) must belong to
 * one of `organizations` (the MessageHeader sender, or its receivers).
 */
function checkBelongs(
  bundle: BundleIndex,
  ref: unknown,
  path: string,
  organizations: IndexedEntry[],
  code: FhirIssueCode,
  what: "sender" | "recipient",
  issues: IssueSink,
): void {
  const member = bundle.resolveRef(ref);
  const type = member?.resource.resourceType;
  if (member === undefined || (type !== "PractitionerRole" && type !== "CareTeam")) {
    issues.error(
      "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
      path,
      `the specific ${what} does not resolve to a PractitionerRole or CareTeam in the Bundle`,
    );
    return;
  }
  // Without the MessageHeader's organizations there is nothing to compare with; that is reported already.
  if (organizations.length === 0) return;
  const belongs = organizationsOf(bundle, member).some((org) => organizations.some((o) => sameOrganization(org, o)));
  if (!belongs) {
    const side = what === "sender" ? "MessageHeader.sender" : "MessageHeader receiver";
    issues.error(code, path, `the specific ${what}'s ${type} does not belong to the ${side} organization`);
  }
}

function checkPractitioners(bundle: BundleIndex, issues: IssueSink): void {
  for (const practitioner of bundle.ofType("Practitioner"))
    if (!hasName(practitioner.resource))
      issues.error(
        "CAREHUB_ERR_FHIR_CC_PRACTITIONER_NAME",
        `${practitioner.path}.name`,
        "the Practitioner has no name",
      );
  for (const role of bundle.ofType("PractitionerRole")) {
    const ref = obj(role.resource, "practitioner");
    const path = `${role.path}.practitioner`;
    if (str(ref, "reference") === undefined)
      issues.error("CAREHUB_ERR_FHIR_CC_ROLE_PRACTITIONER", path, "the PractitionerRole references no Practitioner");
    else if (bundle.resolveRef(ref, "Practitioner") === undefined)
      issues.error(
        "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
        path,
        "the PractitionerRole's practitioner does not resolve to a Practitioner in the Bundle",
      );
  }
}

/** CC-15: Communication.encounter references the Bundle's Encounter when there is one, and is absent otherwise. */
function checkEncounter(bundle: BundleIndex, communication: IndexedEntry, issues: IssueSink): void {
  const path = `${communication.path}.encounter`;
  const encounter = communication.resource.encounter;
  if (bundle.ofType("Encounter").length > 0) {
    const target = bundle.resolveRef(encounter, "Encounter");
    if (target === undefined)
      issues.error(
        "CAREHUB_ERR_FHIR_CC_ENCOUNTER",
        path,
        "the Bundle has an Encounter, so Communication.encounter must reference it",
      );
    // CC-9: the Encounter is there to carry the episode-of-care identifier (forløbs-id).
    else if (!objects(target.resource, "episodeOfCare").some(({ value }) => obj(value, "identifier") !== undefined))
      issues.error(
        "CAREHUB_ERR_FHIR_CC_EPISODE_OF_CARE",
        `${target.path}.episodeOfCare`,
        "the Encounter has no episodeOfCare identifier",
      );
  } else if (encounter !== undefined)
    issues.error(
      "CAREHUB_ERR_FHIR_CC_ENCOUNTER",
      path,
      "Communication.encounter must be absent when the Bundle has no Encounter",
    );
}

/** The Bundle-level CareCommunication invariants about people and organizations: CC-4, CC-9, CC-11, CC-12, CC-13, CC-15. */
export function checkCareCommunicationParties(ctx: ReadContext, communication: IndexedEntry): void {
  const { bundle, header, issues } = ctx;
  checkPractitioners(bundle, issues);
  checkEncounter(bundle, communication, issues);

  const senders = [bundle.resolveRef(obj(header.resource, "sender"), "Organization")].filter(defined);
  const receivers = objects(header.resource, "destination")
    .map(({ value }) => bundle.resolveRef(obj(value, "receiver"), "Organization"))
    .filter(defined);
  for (const { value: extension, index } of objects(communication.resource, "extension")) {
    if (str(extension, "url") !== EXTENSIONS.careCommunicationSender) continue;
    const path = `${communication.path}.extension[${index}]`;
    checkBelongs(
      bundle,
      obj(extension, "valueReference"),
      path,
      senders,
      "CAREHUB_ERR_FHIR_CC_SENDER_ORGANIZATION",
      "sender",
      issues,
    );
  }
  for (const { value: ref, index } of objects(communication.resource, "recipient")) {
    const path = `${communication.path}.recipient[${index}]`;
    checkBelongs(bundle, ref, path, receivers, "CAREHUB_ERR_FHIR_CC_RECIPIENT_ORGANIZATION", "recipient", issues);
  }
}

import { isValidGln, type Party } from "@carehub/schemas";
import { objects, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import { IDENTIFIER_SYSTEMS } from "../terminology/systems.ts";
import type { BundleIndex, IndexedEntry } from "./bundle-index.ts";
import { isGlnSystem, isValidSor } from "./identifiers.ts";

/** The party an Organization names (SOR, GLN, ydernummer, name), as given. */
export function partyOf(organization: IndexedEntry): Party {
  const party: Party = {};
  for (const { value } of objects(organization.resource, "identifier")) {
    const system = str(value, "system");
    const id = str(value, "value");
    if (id === undefined) continue;
    if (system === IDENTIFIER_SYSTEMS.sor && party.sor === undefined) party.sor = id;
    else if (isGlnSystem(system) && party.gln === undefined) party.gln = id;
    else if (system === IDENTIFIER_SYSTEMS.ydernummer && party.ydernummer === undefined) party.ydernummer = id;
  }
  const name = str(organization.resource, "name");
  if (name !== undefined) party.name = name;
  return party;
}

export function hasAddress(party: Party): boolean {
  return party.sor !== undefined || party.gln !== undefined;
}

/**
 * Resolves a sender/receiver reference to a MedComMessagingOrganization inside the Bundle and checks
 * that it carries a valid SOR id and GLN. Returns the party even when it is incomplete (for the partial result).
 */
export function readMessagingOrganization(
  bundle: BundleIndex,
  ref: unknown,
  refPath: string,
  role: "sender" | "receiver",
  issues: IssueSink,
): Party | undefined {
  const org = bundle.resolveRef(ref, "Organization");
  if (org === undefined) {
    issues.error(
      "CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED",
      refPath,
      `the ${role} reference does not resolve to an Organization in the Bundle`,
    );
    return undefined;
  }
  const party = partyOf(org);
  const missing = role === "sender" ? "CAREHUB_ERR_FHIR_SENDER_ID_MISSING" : "CAREHUB_ERR_FHIR_RECEIVER_ID_MISSING";
  if (party.sor === undefined)
    issues.error(missing, `${org.path}.identifier`, `the ${role} organization has no SOR id`);
  if (party.gln === undefined) issues.error(missing, `${org.path}.identifier`, `the ${role} organization has no GLN`);
  for (const { value, index } of objects(org.resource, "identifier")) {
    const system = str(value, "system");
    const id = str(value, "value") ?? "";
    const path = `${org.path}.identifier[${index}].value`;
    if (system === IDENTIFIER_SYSTEMS.sor && !isValidSor(id))
      issues.error("CAREHUB_ERR_FHIR_SOR_INVALID", path, `the ${role}'s SOR id is not 11 to 18 digits`);
    if (isGlnSystem(system) && !isValidGln(id))
      issues.error("CAREHUB_ERR_FHIR_GLN_INVALID", path, `the ${role}'s GLN is not 13 digits with a valid check digit`);
  }
  return party;
}

import { type Party, type PatientIdentifier, type ValidationIssue, VansId } from "@carehub/schemas";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { localDateTimeToIso } from "./danish-time.ts";
import { alternativeIdSystem, isValidCpr, isValidDate, isValidGln, isValidSor, isValidTime } from "./identifiers.ts";
import { oioxmlIssue } from "./issue.ts";
import { ACKNOWLEDGEMENT_CODES, LETTER_STATUS_CODES, type LetterType } from "./letter-types.ts";
import { childOf, childrenOf, textAt, textOf, type XmlElement } from "./xml-tree.ts";

/** Reads a required text element, reporting it when missing or empty. */
export function requiredText(
  parent: XmlElement | undefined,
  parentPath: string,
  names: string[],
  issues: ValidationIssue[],
  what: string,
): string | undefined {
  const value = textAt(parent, ...names);
  if (value === undefined) {
    issues.push(
      oioxmlIssue(OIOXML_ERROR_CODES.REQUIRED_MISSING, `${parentPath}/${names.join("/")}`, `${what} is required`),
    );
  }
  return value;
}

/** A Date + Time pair as an ISO instant, when both are present and valid (their format is checked elsewhere). */
export function dateTimeAt(parent: XmlElement | undefined): string | undefined {
  const date = textAt(parent, "Date");
  const time = textAt(parent, "Time");
  if (date === undefined || !isValidDate(date) || (time !== undefined && !isValidTime(time))) return undefined;
  return localDateTimeToIso(date, time);
}

export interface EnvelopeFields {
  envelopeId?: string;
  sentAt?: string;
  ackRequested: boolean;
}

export function readEnvelope(emessage: XmlElement, issues: ValidationIssue[]): EnvelopeFields {
  const path = "Emessage/Envelope";
  const envelope = childOf(emessage, "Envelope");
  if (envelope === undefined) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.REQUIRED_MISSING, path, "the Envelope is required"));
    return { ackRequested: false };
  }
  requiredText(envelope, path, ["Sent", "Date"], issues, "the envelope's send date");
  requiredText(envelope, path, ["Sent", "Time"], issues, "the envelope's send time");
  const envelopeId = requiredText(envelope, path, ["Identifier"], issues, "the envelope identifier");
  const ackCode = textAt(envelope, "AcknowledgementCode");
  if (ackCode !== undefined && !(ACKNOWLEDGEMENT_CODES as readonly string[]).includes(ackCode)) {
    issues.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.VALUE_NOT_ALLOWED,
        `${path}/AcknowledgementCode`,
        "AcknowledgementCode must be minuspositivkvitt or pluspositivkvitt",
      ),
    );
  }
  const sentAt = dateTimeAt(childOf(envelope, "Sent"));
  return {
    ...(envelopeId === undefined ? {} : { envelopeId }),
    ...(sentAt === undefined ? {} : { sentAt }),
    ackRequested: ackCode === "pluspositivkvitt",
  };
}

export interface LetterFields {
  letterId?: string;
  versionCode?: string;
  statisticalCode?: string;
  statusCode?: string;
  authorisedAt?: string;
}

export function readLetterHeader(
  letterElement: XmlElement,
  letterPath: string,
  type: LetterType,
  issues: ValidationIssue[],
): LetterFields {
  const path = `${letterPath}/Letter`;
  const letter = childOf(letterElement, "Letter");
  if (letter === undefined) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.REQUIRED_MISSING, path, "the Letter header is required"));
    return {};
  }
  const letterId = requiredText(letter, path, ["Identifier"], issues, "the letter identifier");
  const versionCode = requiredText(letter, path, ["VersionCode"], issues, "the VersionCode");
  const statisticalCode = requiredText(letter, path, ["StatisticalCode"], issues, "the StatisticalCode");
  if (statisticalCode !== undefined && !type.statisticalCodes.includes(statisticalCode)) {
    issues.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.VERSION_UNSUPPORTED,
        `${path}/StatisticalCode`,
        `StatisticalCode ${statisticalCode} does not belong to a ${type.element} letter (expected ${type.statisticalCodes.join(" or ")})`,
      ),
    );
  }
  if (versionCode !== undefined && !type.versionCodes.includes(versionCode)) {
    issues.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.VERSION_UNSUPPORTED,
        `${path}/VersionCode`,
        `VersionCode ${versionCode} is not a supported version of ${type.element} (supported: ${type.versionCodes.join(", ")})`,
      ),
    );
  }
  const statusCode = textAt(letter, "StatusCode");
  if (statusCode !== undefined && !(LETTER_STATUS_CODES as readonly string[]).includes(statusCode)) {
    issues.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.STATUS_CODE_UNKNOWN,
        `${path}/StatusCode`,
        "StatusCode must be nytbrev, rettetbrev or annulleretbrev",
      ),
    );
  }
  const authorisedAt = dateTimeAt(childOf(letter, "Authorisation"));
  return {
    ...(letterId === undefined ? {} : { letterId }),
    ...(versionCode === undefined ? {} : { versionCode }),
    ...(statisticalCode === undefined ? {} : { statisticalCode }),
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(authorisedAt === undefined ? {} : { authorisedAt }),
  };
}

/** Checks an EANIdentifier as a GLN; returns whether it passed. */
export function checkGln(value: string, path: string, issues: ValidationIssue[], role: string): boolean {
  if (!/^\d{13}$/.test(value)) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.GLN_FORMAT, path, `the ${role}'s EAN location number is not 13 digits`));
    return false;
  }
  if (!isValidGln(value)) {
    issues.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.GLN_CHECK_DIGIT,
        path,
        `the ${role}'s EAN location number fails the GS1 mod-10 check digit`,
      ),
    );
    return false;
  }
  return true;
}

export interface PartyOptions {
  role: "sender" | "receiver" | "cc receiver";
  /** The VANS provider signs its negative receipt with a network id such as DKKMDKMDNET, not a GLN. */
  networkIdAllowed?: boolean;
}

/** Sender / Receiver / CCReceiver → Party. The party is returned as given even when its ids fail their checks. */
export function readParty(
  element: XmlElement | undefined,
  path: string,
  options: PartyOptions,
  issues: ValidationIssue[],
): Party | undefined {
  if (element === undefined) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.REQUIRED_MISSING, path, `the ${options.role} is required`));
    return undefined;
  }
  const ean = requiredText(element, path, ["EANIdentifier"], issues, `the ${options.role}'s EANIdentifier`);
  const party: { gln?: string; sor?: string; ydernummer?: string; name?: string; vans?: string } = {};
  if (ean !== undefined && options.networkIdAllowed && VansId.safeParse(ean).success) party.vans = ean;
  else if (ean !== undefined) {
    checkGln(ean, `${path}/EANIdentifier`, issues, options.role);
    party.gln = ean;
  }
  const identifier = textAt(element, "Identifier");
  const identifierCode = textAt(element, "IdentifierCode");
  if (identifier !== undefined && identifierCode === "ydernummer") party.ydernummer = identifier;
  if (identifier !== undefined && identifierCode === "sorkode") {
    if (isValidSor(identifier)) party.sor = identifier;
    else {
      issues.push(
        oioxmlIssue(
          OIOXML_ERROR_CODES.SOR_INVALID,
          `${path}/Identifier`,
          `the ${options.role}'s SOR code is not 11 to 18 digits`,
          options.role === "sender" ? "syntaksfejl" : "problem_med_modtagerID",
        ),
      );
    }
  }
  const name = textAt(element, "OrganisationName");
  if (name !== undefined) party.name = name;
  return ean === undefined ? undefined : party;
}

export interface PatientFields {
  patient?: PatientIdentifier;
  /** Patient/Consent/Given; null when the letter says nothing about consent. */
  consentGiven: boolean | null;
}

export function readPatient(letterElement: XmlElement, letterPath: string, issues: ValidationIssue[]): PatientFields {
  const path = `${letterPath}/Patient`;
  const patient = childOf(letterElement, "Patient");
  if (patient === undefined) {
    issues.push(oioxmlIssue(OIOXML_ERROR_CODES.REQUIRED_MISSING, path, "the Patient is required"));
    return { consentGiven: null };
  }
  const fields: PatientFields = { consentGiven: readConsent(patient, path, issues) };
  const cpr = textAt(patient, "CivilRegistrationNumber");
  const alternative = textAt(patient, "AlternativeIdentifier");
  if (cpr !== undefined) {
    // Never quote the number: it is a patient identifier.
    if (isValidCpr(cpr)) fields.patient = { system: "cpr", value: cpr };
    else {
      issues.push(
        oioxmlIssue(
          OIOXML_ERROR_CODES.CPR_INVALID,
          `${path}/CivilRegistrationNumber`,
          "the CPR number is not 10 digits starting with a valid date (DDMMYY)",
        ),
      );
    }
  } else if (alternative !== undefined) {
    fields.patient = { system: alternativeIdSystem(alternative), value: alternative };
  } else {
    issues.push(
      oioxmlIssue(
        OIOXML_ERROR_CODES.REQUIRED_MISSING,
        `${path}/CivilRegistrationNumber`,
        "the patient needs a CivilRegistrationNumber or an AlternativeIdentifier",
      ),
    );
  }
  return fields;
}

function readConsent(patient: XmlElement, path: string, issues: ValidationIssue[]): boolean | null {
  const consent = childOf(patient, "Consent");
  if (consent === undefined) return null;
  const given = textOf(childOf(consent, "Given"));
  if (given === "true" || given === "1") return true;
  if (given === "false" || given === "0") return false;
  issues.push(
    oioxmlIssue(OIOXML_ERROR_CODES.VALUE_NOT_ALLOWED, `${path}/Consent/Given`, "Consent/Given must be true or false"),
  );
  return null;
}

/** Receiver first, then every CCReceiver. */
export function readReceivers(letterElement: XmlElement, letterPath: string, issues: ValidationIssue[]): Party[] {
  const receivers: Party[] = [];
  const primary = readParty(childOf(letterElement, "Receiver"), `${letterPath}/Receiver`, { role: "receiver" }, issues);
  if (primary) receivers.push(primary);
  const ccs = childrenOf(letterElement, "CCReceiver");
  ccs.forEach((cc, index) => {
    const path = `${letterPath}/CCReceiver${ccs.length > 1 ? `[${index + 1}]` : ""}`;
    // MedCom's schemas give a CCReceiver an Identifier + IdentifierCode and no EANIdentifier: such a copy
    // holder is named for the reader, not an electronic address, so there is nothing to route to.
    if (textAt(cc, "EANIdentifier") === undefined) return;
    const party = readParty(cc, path, { role: "cc receiver" }, issues);
    if (party) receivers.push(party);
  });
  return receivers;
}

import { isValidCprDate, type PatientIdentifier } from "@carehub/schemas";
import { D_ECPR_REGIONAL_SYSTEMS, IDENTIFIER_SYSTEMS } from "../terminology/systems.ts";

/** The FHIR id rule. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

// The shapes; the DDMMYY date part is checked by isValidCprDate (one rule for every format, in @carehub/schemas).
// Modulus 11 is deliberately not checked (DK-core; MedCom test CPRs fail it).
const CPR = /^[0-9]{10}$/;
const X_ECPR = /^[0-9]{6}[17][A-Z]{2}[0-9]$/;
const D_ECPR = /^[0-9]{6}[056][A-Z]{2}[0-9]$/;

export function isValidCpr(value: string): boolean {
  return CPR.test(value) && isValidCprDate(value);
}

export function patientSystemOf(system: string | undefined): PatientIdentifier["system"] | undefined {
  if (system === IDENTIFIER_SYSTEMS.cpr) return "cpr";
  if (system === IDENTIFIER_SYSTEMS.xEcpr) return "x-ecpr";
  if (system === IDENTIFIER_SYSTEMS.dEcpr || (system !== undefined && D_ECPR_REGIONAL_SYSTEMS.includes(system)))
    return "d-ecpr";
  return undefined;
}

/** Whether a patient identifier value fits the pattern of its system. */
export function isValidPatientIdentifier(identifier: PatientIdentifier): boolean {
  switch (identifier.system) {
    case "cpr":
      return isValidCpr(identifier.value);
    case "x-ecpr":
      return X_ECPR.test(identifier.value) && isValidCprDate(identifier.value);
    case "d-ecpr":
      return D_ECPR.test(identifier.value) && isValidCprDate(identifier.value);
    case "other":
      return identifier.value.length > 0;
  }
}

export function patientSystemUri(system: PatientIdentifier["system"]): string | undefined {
  switch (system) {
    case "cpr":
      return IDENTIFIER_SYSTEMS.cpr;
    case "x-ecpr":
      return IDENTIFIER_SYSTEMS.xEcpr;
    case "d-ecpr":
      return IDENTIFIER_SYSTEMS.dEcpr;
    case "other":
      return undefined;
  }
}

/** SOR: numeric, at least 11 digits (DK-core min-digits-sor). */
export function isValidSor(value: string): boolean {
  return /^[0-9]{11,18}$/.test(value);
}

export function isGlnSystem(system: string | undefined): boolean {
  return system === IDENTIFIER_SYSTEMS.glnHttps || system === IDENTIFIER_SYSTEMS.glnHttp;
}

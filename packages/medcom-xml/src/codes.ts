/**
 * Every validation code this package can report, with the XCTL02 refuse code a receiver would send back
 * for it. Catalogued in docs/errors.md ("Formats: OIOXML"); a test keeps the two in step.
 */

/** The refuse codes of an OIOXML negative receipt (XCTL01 / XCTL02). */
export const REFUSE_CODES = [
  "ukendt_lokationsnummer",
  "problem_med_modtagerID",
  "problem_med_version",
  "syntaksfejl",
  "ikke_specificeret",
] as const;
export type RefuseCode = (typeof REFUSE_CODES)[number];

export const OIOXML_ERROR_CODES = {
  /** Input larger than the size limit. */
  TOO_LARGE: "CAREHUB_ERR_OIOXML_TOO_LARGE",
  /** Bytes that cannot be decoded in the declared (or BOM) encoding, or an unsupported encoding. */
  ENCODING: "CAREHUB_ERR_OIOXML_ENCODING",
  /** A DOCTYPE or ENTITY declaration: refused before parsing (no entity expansion, no external entities). */
  DOCTYPE_FORBIDDEN: "CAREHUB_ERR_OIOXML_DOCTYPE_FORBIDDEN",
  /** Elements nested deeper than the depth limit. */
  TOO_DEEP: "CAREHUB_ERR_OIOXML_TOO_DEEP",
  /** Not well-formed XML (also: undefined entity references, several root elements, forbidden names). */
  NOT_WELL_FORMED: "CAREHUB_ERR_OIOXML_NOT_WELL_FORMED",
  /** The root element is not Emessage. */
  NOT_EMESSAGE: "CAREHUB_ERR_OIOXML_NOT_EMESSAGE",
  /** The root is not in a MedCom OIOXML namespace. */
  NAMESPACE: "CAREHUB_ERR_OIOXML_NAMESPACE",
  /** Emessage holds no letter, several letters, or a letter type carehub does not handle. */
  UNSUPPORTED_LETTER: "CAREHUB_ERR_OIOXML_UNSUPPORTED_LETTER",
  /** StatisticalCode or VersionCode does not belong to the letter element. */
  VERSION_UNSUPPORTED: "CAREHUB_ERR_OIOXML_VERSION_UNSUPPORTED",
  /** A required element is missing or empty. */
  REQUIRED_MISSING: "CAREHUB_ERR_OIOXML_REQUIRED_MISSING",
  /** An EANIdentifier that is not 13 digits. */
  GLN_FORMAT: "CAREHUB_ERR_OIOXML_GLN_FORMAT",
  /** An EANIdentifier whose GS1 mod-10 check digit is wrong. */
  GLN_CHECK_DIGIT: "CAREHUB_ERR_OIOXML_GLN_CHECK_DIGIT",
  /** A CivilRegistrationNumber that is not 10 digits starting with a valid DDMMYY date (no modulus 11). */
  CPR_INVALID: "CAREHUB_ERR_OIOXML_CPR_INVALID",
  /** An Identifier with IdentifierCode sorkode that is not 11 to 18 digits. */
  SOR_INVALID: "CAREHUB_ERR_OIOXML_SOR_INVALID",
  /** Letter/StatusCode not nytbrev, rettetbrev or annulleretbrev. */
  STATUS_CODE_UNKNOWN: "CAREHUB_ERR_OIOXML_STATUS_CODE_UNKNOWN",
  /** ResultStatusCode not proeve_modtaget, svar_midlertidigt, svar_endeligt or svar_rettet. */
  RESULT_STATUS_UNKNOWN: "CAREHUB_ERR_OIOXML_RESULT_STATUS_UNKNOWN",
  /** Another coded value outside its list (AcknowledgementCode, ReportStatusCode, RefuseCode, Consent/Given). */
  VALUE_NOT_ALLOWED: "CAREHUB_ERR_OIOXML_VALUE_NOT_ALLOWED",
  /** A Date element that is not a real YYYY-MM-DD date. */
  DATE_INVALID: "CAREHUB_ERR_OIOXML_DATE_INVALID",
  /** A Time element that is not hh:mm (or hh:mm:ss). */
  TIME_INVALID: "CAREHUB_ERR_OIOXML_TIME_INVALID",
  /** Warning only: an XDIS13 booking confirmation that does not name the referral it confirms. */
  BOOKING_REFERRAL_UNKNOWN: "CAREHUB_ERR_OIOXML_BOOKING_REFERRAL_UNKNOWN",
  /** The parser failed in a way the checks above did not foresee (reported, never thrown). */
  INTERNAL: "CAREHUB_ERR_OIOXML_INTERNAL",
} as const;
export type OioxmlErrorCode = (typeof OIOXML_ERROR_CODES)[keyof typeof OIOXML_ERROR_CODES];

/** The XCTL02 refuse code that fits each problem. */
export const REFUSE_CODE_FOR: Readonly<Record<OioxmlErrorCode, RefuseCode>> = {
  CAREHUB_ERR_OIOXML_TOO_LARGE: "ikke_specificeret",
  CAREHUB_ERR_OIOXML_ENCODING: "syntaksfejl",
  CAREHUB_ERR_OIOXML_DOCTYPE_FORBIDDEN: "syntaksfejl",
  CAREHUB_ERR_OIOXML_TOO_DEEP: "syntaksfejl",
  CAREHUB_ERR_OIOXML_NOT_WELL_FORMED: "syntaksfejl",
  CAREHUB_ERR_OIOXML_NOT_EMESSAGE: "syntaksfejl",
  CAREHUB_ERR_OIOXML_NAMESPACE: "problem_med_version",
  CAREHUB_ERR_OIOXML_UNSUPPORTED_LETTER: "problem_med_version",
  CAREHUB_ERR_OIOXML_VERSION_UNSUPPORTED: "problem_med_version",
  CAREHUB_ERR_OIOXML_REQUIRED_MISSING: "syntaksfejl",
  CAREHUB_ERR_OIOXML_GLN_FORMAT: "ukendt_lokationsnummer",
  CAREHUB_ERR_OIOXML_GLN_CHECK_DIGIT: "ukendt_lokationsnummer",
  CAREHUB_ERR_OIOXML_CPR_INVALID: "syntaksfejl",
  CAREHUB_ERR_OIOXML_SOR_INVALID: "problem_med_modtagerID",
  CAREHUB_ERR_OIOXML_STATUS_CODE_UNKNOWN: "syntaksfejl",
  CAREHUB_ERR_OIOXML_RESULT_STATUS_UNKNOWN: "syntaksfejl",
  CAREHUB_ERR_OIOXML_VALUE_NOT_ALLOWED: "syntaksfejl",
  CAREHUB_ERR_OIOXML_DATE_INVALID: "syntaksfejl",
  CAREHUB_ERR_OIOXML_TIME_INVALID: "syntaksfejl",
  CAREHUB_ERR_OIOXML_BOOKING_REFERRAL_UNKNOWN: "ikke_specificeret",
  CAREHUB_ERR_OIOXML_INTERNAL: "ikke_specificeret",
};

/** Raised by the builders when their input cannot make a valid letter (a programming error in the caller). */
export const OIOXML_BUILD_INVALID_INPUT = "CAREHUB_ERR_OIOXML_BUILD_INVALID_INPUT";

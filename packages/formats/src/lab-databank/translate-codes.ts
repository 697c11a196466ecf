/** Why a FHIR lab result was not translated for a databank; catalogued in docs/errors.md ("Lab databank translation"). */
export const TRANSLATE_ERROR_CODES = {
  /** The bytes are not a readable carehub FHIR lab result (a DiagnosticReport message). */
  NOT_A_LAB_RESULT: "CAREHUB_ERR_TRANSLATE_NOT_A_LAB_RESULT",
  /** The patient withheld consent (meta.security R): nothing leaves for a databank. */
  CONSENT_WITHHELD: "CAREHUB_ERR_TRANSLATE_CONSENT_WITHHELD",
  /** A retraction: the databanks take no deletions, so it is never passed on. */
  RETRACTION: "CAREHUB_ERR_TRANSLATE_RETRACTION",
  /** No result in the message was produced by its sender (all received from others). */
  NO_OWN_RESULTS: "CAREHUB_ERR_TRANSLATE_NO_OWN_RESULTS",
  /** A required letter element has no source value. */
  FIELD_MISSING: "CAREHUB_ERR_TRANSLATE_FIELD_MISSING",
  /** A source value has no XRPT01 form (a `<=` comparator, a value over 12 characters). */
  FIELD_UNMAPPABLE: "CAREHUB_ERR_TRANSLATE_FIELD_UNMAPPABLE",
  /** The letter made fails the hub's own OIOXML validator (a mapping bug: it is never sent). */
  LETTER_INVALID: "CAREHUB_ERR_TRANSLATE_LETTER_INVALID",
} as const;
export type TranslateErrorCode = (typeof TRANSLATE_ERROR_CODES)[keyof typeof TRANSLATE_ERROR_CODES];

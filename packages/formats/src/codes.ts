/** Codes this package reports; catalogued in docs/errors.md ("Formats: detection and limits"). */
export const FORMAT_ERROR_CODES = {
  /** The body is empty (or only whitespace). */
  EMPTY: "CAREHUB_ERR_FORMAT_EMPTY",
  /** The bytes are neither FHIR JSON, FHIR XML nor an OIOXML Emessage. */
  UNKNOWN: "CAREHUB_ERR_FORMAT_UNKNOWN",
  /** The declared Content-Type is not one carehub accepts. */
  CONTENT_TYPE_UNSUPPORTED: "CAREHUB_ERR_FORMAT_CONTENT_TYPE_UNSUPPORTED",
  /** The declared Content-Type says one format and the bytes are another. */
  MISMATCH: "CAREHUB_ERR_FORMAT_MISMATCH",
  /** The body is larger than the size limit. */
  TOO_LARGE: "CAREHUB_ERR_FORMAT_TOO_LARGE",
  /** `carehub validate`: a file that does not exist or cannot be read. */
  FILE_UNREADABLE: "CAREHUB_ERR_FORMAT_FILE_UNREADABLE",
  /** A parser failed unexpectedly (reported, never thrown). */
  INTERNAL: "CAREHUB_ERR_FORMAT_INTERNAL",
} as const;
export type FormatErrorCode = (typeof FORMAT_ERROR_CODES)[keyof typeof FORMAT_ERROR_CODES];

export { OioxmlBuildError } from "./build-common.ts";
export { buildLabReport, type LabReportInput, type LabReportResultInput } from "./build-lab-report.ts";
export { buildLetter, LETTER_NAMESPACE, type LetterInput } from "./build-letter.ts";
export { buildReceipt, RECEIPT_NAMESPACE, type ReceiptInput } from "./build-receipt.ts";
export {
  OIOXML_BUILD_INVALID_INPUT,
  OIOXML_ERROR_CODES,
  type OioxmlErrorCode,
  REFUSE_CODE_FOR,
  REFUSE_CODES,
  type RefuseCode,
} from "./codes.ts";
export { toDanishLocal } from "./danish-time.ts";
export { type DecodeResult, decoderFor, decodeWindows1252, decodeXmlBytes } from "./decode.ts";
export { encodeXmlText } from "./encode.ts";
export { isValidCpr, isValidSor } from "./identifiers.ts";
export { renderLetterCatalogue } from "./letter-catalogue.ts";
export type { ContentReader } from "./letter-types.ts";
export { LETTER_TYPES, type LetterType, RESULT_STATUS_CODES, type ResultStatusCode } from "./letter-types.ts";
export { DEFAULT_PARSE_LIMITS, type ParseLimits } from "./limits.ts";
export { type OioxmlParseOptions, parseOioxmlMessage } from "./parse-oioxml.ts";
export { type LetterIdentity, readLetterIdentity } from "./read-identity.ts";
export { attributeOf, XmlHeadReader, type XmlHeadToken } from "./xml-head.ts";
export type { XmlEncoding } from "./xml-writer.ts";

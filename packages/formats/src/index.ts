// The one cache of fatal decoders (medcom-xml's), for the gateway's check of a body's declared encoding.
export { decoderFor } from "@carehub/medcom-xml";
export { Anonymiser, anonymiseMessage } from "./anonymise/anonymise-message.ts";
export { passesModulus11, SyntheticIdentities } from "./anonymise/synthetic-identity.ts";
export { FORMAT_ERROR_CODES, type FormatErrorCode } from "./codes.ts";
export { type DetectResult, detectFormat } from "./detect-format.ts";
export {
  LETTER_ROWS,
  type MappingRow,
  RESULT_ROWS,
  renderDatabankMapping,
} from "./lab-databank/databank-mapping.ts";
export { TRANSLATE_ERROR_CODES, type TranslateErrorCode } from "./lab-databank/translate-codes.ts";
export {
  type TranslatedLetter,
  type TranslationContext,
  type TranslationRefusal,
  translateLabResult,
} from "./lab-databank/translate-lab-result.ts";
export { DEFAULT_MAX_BYTES, type ParseMessageOptions, parseMessage } from "./parse-message.ts";
export { type MessageIdentity, readMessageIdentity } from "./read-identity.ts";
export { type ReadMessage, readMessage } from "./read-message.ts";
export { runValidateCommand, VALIDATE_USAGE, type ValidateLine, validateFiles } from "./validate-files.ts";
export { type CorpusSummary, summariseCorpus } from "./validate-summary.ts";

export { Anonymiser, anonymiseMessage } from "./anonymise/anonymise-message.ts";
export { passesModulus11, SyntheticIdentities } from "./anonymise/synthetic-identity.ts";
export { FORMAT_ERROR_CODES, type FormatErrorCode } from "./codes.ts";
export { type DetectResult, detectFormat } from "./detect-format.ts";
export { DEFAULT_MAX_BYTES, type ParseMessageOptions, parseMessage } from "./parse-message.ts";
export { type MessageIdentity, readMessageIdentity } from "./read-identity.ts";
export { runValidateCommand, VALIDATE_USAGE, type ValidateLine, validateFiles } from "./validate-files.ts";
export { type CorpusSummary, summariseCorpus } from "./validate-summary.ts";

export {
  type AcknowledgementIds,
  derivedDigits,
  derivedUuid,
  type HubMessageIds,
  hubMessageIds,
  ingressHubId,
  messageHubId,
  negativeAcknowledgementIds,
  repeatAnswerIds,
  type TranslationIds,
  translationIds,
} from "./derived-ids.ts";
export { COMPACT_HUB_ID_LUA, type LedgerKeys, ledgerKeys } from "./ledger-keys.ts";
export {
  type DeliveryRecord,
  encodeDeliveryRecord,
  encodeFirstCopy,
  encodeStoredAcknowledgement,
  type FirstCopy,
  KEPT_ACKNOWLEDGEMENT_MAX_BYTES,
  parseDeliveryRecord,
  parseFirstCopy,
  parseStoredAcknowledgement,
  type StoredAcknowledgement,
  storedAcknowledgementSchema,
} from "./ledger-records.ts";
export {
  type Admission,
  type ArrivingMessage,
  type Claim,
  FIRST_COPY_COMMAND,
  findFirstCopy,
  ingressCopy,
  type LedgerRedis,
  MessageLedger,
  type MessageLedgerOptions,
  type Repeat,
  type RepeatAnswer,
} from "./message-ledger.ts";
export { renewAcknowledgement } from "./renew-acknowledgement.ts";

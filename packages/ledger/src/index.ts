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
export { type LedgerKeys, ledgerKeys, MARKER_NAME_LUA, markerName } from "./ledger-keys.ts";
export {
  type DeliveryRecord,
  encodeDeliveryRecord,
  encodeFirstCopy,
  encodeStoredAcknowledgement,
  type FirstCopy,
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
  findFirstCopy,
  type LedgerRedis,
  MessageLedger,
  type MessageLedgerOptions,
  type Repeat,
  type RepeatAnswer,
} from "./message-ledger.ts";
export { renewAcknowledgement } from "./renew-acknowledgement.ts";

export {
  derivedDigits,
  derivedUuid,
  type NegativeAcknowledgementIds,
  negativeAcknowledgementIds,
} from "./acknowledgement-ids.ts";
export {
  type AcknowledgementKeys,
  type AcknowledgementPublisher,
  type AcknowledgementRedis,
  acknowledgementKeys,
  keepHubAcknowledgement,
  sendAcknowledgement,
} from "./acknowledgement-outbox.ts";
export {
  type AnsweredMessage,
  buildNegativeAcknowledgement,
  type NegativeAcknowledgement,
  type NegativeAcknowledgementPlan,
  type NegativeAcknowledgementRequest,
  type NoAnswer,
  planNegativeAcknowledgement,
  refuseCodeFor,
} from "./negative-acknowledgement.ts";
export {
  encodeStoredAcknowledgement,
  parseStoredAcknowledgement,
  type StoredAcknowledgement,
  storedAcknowledgement,
} from "./stored-acknowledgement.ts";

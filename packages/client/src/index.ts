// Standard Webhooks signatures (docs/decisions/0010): what the hub signs deliveries with, for receivers.
export {
  generateWebhookSecret,
  isWebhookSignatureError,
  type VerifiedWebhook,
  type VerifyWebhookInput,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_CODES,
  WebhookSignatureError,
} from "@carehub/webhook-signature";
export { type Clock, createManualClock, type ManualClock, systemClock, type TimerHandle } from "./clock.ts";
export {
  AcknowledgementMissingError,
  HubRequestError,
  HubResponseError,
  HubUnreachableError,
  isRetryable,
  UnreadableDeliveryError,
  UnsupportedMessageError,
} from "./errors.ts";
export {
  type CarehubClient,
  type ClientOptions,
  createClient,
  type QueryRecord,
  retryAfterMs,
  type SendOptions,
  type SendResult,
} from "./hub-client.ts";
export {
  consumeInbox,
  type InboxOptions,
  type InboxSubscription,
  inboxNames,
  inboxReplyPrefix,
} from "./inbox-consumer.ts";
export { buildMedcomAcknowledgement, parseDeliveredMessage } from "./medcom-acknowledgement.ts";
export {
  createOutbox,
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_MAX_RESENDS,
  type Outbox,
  type OutboxOptions,
  type OutboxSendOptions,
  type SentMessage,
  type SentState,
  type SentStatus,
} from "./outbox.ts";
export {
  type AckDecision,
  type AcknowledgementBuilder,
  type AcknowledgementInput,
  type BuiltAcknowledgement,
  createReceiver,
  type Delivery,
  decisionForError,
  type MessageParser,
  type ReceivedAcknowledgement,
  type ReceivedMessage,
  type ReceiveOutcome,
  type Receiver,
  type ReceiverOptions,
} from "./receiver.ts";
export {
  createRedisSeenStore,
  DEFAULT_SEEN_TTL_SECONDS,
  type RedisCommands,
  type RedisSeenStoreOptions,
} from "./redis-seen-store.ts";
export { danishDateTime, formatOfContentType, newEnvelopeId, type Restamp, restampMessage } from "./restamp.ts";
export {
  type AckIssue,
  createMemorySeenStore,
  type MemorySeenStore,
  type SeenRecord,
  type SeenStore,
  seenKey,
} from "./seen-store.ts";
export {
  createWebhookHandler,
  type WebhookAnswer,
  type WebhookHandler,
  type WebhookHandlerOptions,
} from "./webhook-handler.ts";

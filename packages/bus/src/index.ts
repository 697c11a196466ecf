export { publishAuditRecord } from "./audit-publish.ts";
export { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF, DEFAULT_BACKOFF_MS, retryDelayMs } from "./backoff.ts";
export { type Bus, type ConnectBusOptions, connectBus, type LifecycleEventLike, type ProvisionOptions } from "./bus.ts";
export {
  CLAIM_CHECK_SWEEP_MIN_AGE_MS,
  type ClaimCheckSweepReport,
  sweepClaimChecks,
} from "./claim-check-sweep.ts";
export type { ConsumeSpec, InboundMessage, RunningConsumer } from "./consumer.ts";
export { CONSUMER_INFO_INTERVAL_MS, type ConsumerBacklog, readConsumerBacklog } from "./consumer-metrics.ts";
export { hubJsonDecoder, jsonDecoder } from "./decoders.ts";
export {
  BUS_ERROR_CODES,
  BusClaimCheckMissingError,
  BusClaimCheckUnavailableError,
  BusConnectError,
  BusDecodeError,
  type BusErrorCode,
  BusHandlerError,
  BusMaxDeliveriesError,
  BusNameError,
  BusPayloadKeyUnknownError,
  BusPayloadReferenceInvalidError,
  BusPayloadReferenceMissingError,
  BusPayloadReferenceUnavailableError,
  BusPayloadUnreadableError,
  BusProvisionError,
  BusPublishError,
  BusPublishRejectedError,
  BusRedriveError,
  isPayloadReferenceError,
} from "./errors.ts";
export { HEADER, headersToRecord, isControlHeader, SCHEMA_VERSION } from "./headers.ts";
export { connectHubBus, type HubBusConfig, type HubBusOptions, hubProvisionOptions } from "./hub-bus.ts";
export { KeyedOrder, type Place, type Turn } from "./keyed-order.ts";
export {
  HUB_HEADER_HEADROOM_BYTES,
  inlineMessageLimit,
  largestAcceptedMessage,
  serverMaxPayload,
} from "./message-size.ts";
export { isJetStreamNotFound, type JetStreamMissing } from "./nats-errors.ts";
export { PAYLOAD_SEAL_OVERHEAD_BYTES, SEALED_STREAM_ROLES } from "./payload-encryption.ts";
export {
  formatPayloadReference,
  OUTBOX_REFERENCE_MARGIN_MS,
  OutboxReferencePolicy,
  type PayloadReference,
  parsePayloadReference,
} from "./payload-reference.ts";
export {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_DELIVER,
  type DurableConsumerSpec,
  type ProvisionReport,
  type StreamProvisionResult,
} from "./provision.ts";
export type { PublishOptions, PublishResult } from "./publisher.ts";
export { keepRedisConnected } from "./redis-keep-connected.ts";
export type { RedriveOptions, RedriveProgress, StoredMessage } from "./redrive.ts";
export {
  type Follower,
  type FollowingEnvelope,
  followerTarget,
  SenderOrder,
  type SenderOrderOptions,
  type SenderOrderRedis,
} from "./sender-order.ts";
export { onShutdown } from "./shutdown.ts";
export { SIZE_BOUNDED_ROLES, type StreamTrim, trimStreamsToBudget } from "./size-retention.ts";
export { coalesceNatsWrites, coalesceRedisWrites } from "./socket-writes.ts";
export {
  type RunningStreamMetrics,
  STREAM_INFO_INTERVAL_MS,
  type StreamMetricsOptions,
  startStreamMetrics,
} from "./stream-metrics.ts";
export {
  auditRetention,
  type CarehubStreamConfig,
  DEFAULT_AUDIT_RETENTION_DAYS,
  DEFAULT_READ_MODEL_RETENTION_DAYS,
  DEFAULT_RETENTION,
  INGRESS_CONSUMER,
  messageRetention,
  type RetentionSettings,
  readModelRetention,
  STREAM_ROLES,
  type StreamConfigOptions,
  type StreamRole,
  type Topology,
  topology,
} from "./topology.ts";

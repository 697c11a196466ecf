export {
  cleanupHubNamespace,
  normalise,
  type ReadModelSnapshot,
  registryHubOptions,
  type SendResult,
  type SnapshotEntry,
  startTestHub,
  type TestHub,
  TestHubAssertionError,
  type TestHubEndpoint,
  type TestHubOptions,
} from "./test-hub.ts";
export { type Delivery, TestReceiver } from "./test-receiver.ts";

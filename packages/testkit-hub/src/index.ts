export {
  cleanupHubNamespace,
  normalise,
  type ReadModelSnapshot,
  registryHubOptions,
  type SendResult,
  type SnapshotEntry,
  startTestHub,
  TEST_HUB_IDENTITY,
  type TestHub,
  TestHubAssertionError,
  type TestHubEndpoint,
  type TestHubOptions,
  type TestRegistryOptions,
  testRegistry,
} from "./test-hub.ts";
export { type Delivery, TestReceiver } from "./test-receiver.ts";

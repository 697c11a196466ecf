export { type DemoProcess, startDemoProcess } from "./demo-process.ts";
export {
  FAILOVER_RECEIVER,
  type FailoverFigures,
  type FailoverTraffic,
  type FailoverTrafficOptions,
  startFailoverTraffic,
  verifyNothingLostOrTwice,
} from "./failover-traffic.ts";
export {
  type Delivery,
  defaultEndpoints,
  defaultRules,
  type Harness,
  type HarnessEndpoint,
  type HarnessOptions,
  HUB_IDENTITY,
  startHarness,
  TestReceiver,
} from "./harness.ts";
export { cleanupHubNamespace } from "./namespace.ts";

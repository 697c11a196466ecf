export {
  type CircuitPermit,
  type CircuitPolicy,
  type CircuitState,
  DEFAULT_CIRCUIT_POLICY,
  parseCircuitState,
  recordFailure,
  recordSuccess,
  requestPermit,
} from "./circuit-breaker.ts";
export { CircuitStore } from "./circuit-store.ts";
export { classifyHttpStatus, type DeliveryOutcome } from "./delivery-outcome.ts";
export { DeliveryWait, WAIT_CODES } from "./delivery-wait.ts";
export { type AttemptRecord, DeliveryDeadLetter, DISPATCH_ERROR_CODES } from "./dispatch-errors.ts";
export { type DispatchKeys, dispatchKeys } from "./dispatch-keys.ts";
export {
  DEFAULT_DISPATCHER_OPTIONS,
  type DispatcherDeps,
  type DispatcherOptions,
  dispatchDurableName,
  dispatcherStateTtlSeconds,
  type RunningDispatcher,
  startDispatcher,
} from "./dispatcher.ts";
export { DISPATCHER_ENV, parseDispatcherOptions } from "./dispatcher-config.ts";
export { type RedriveReport, type RedriveRequest, redriveDeadLetters } from "./redrive.ts";
export { type ResendReport, type ResendRequest, resendDelivered } from "./resend.ts";

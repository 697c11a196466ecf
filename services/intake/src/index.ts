export { buildEnvelope } from "./build-envelope.ts";
export { type IngressArrival, type IngressMessage, identify, readIngressMessage } from "./ingress-message.ts";
export { INTAKE_ERROR_CODES, IntakeDeadLetterError, IntakeStoreUnavailableError } from "./intake-errors.ts";
export {
  createIntakeHandler,
  type IntakeHandler,
  type IntakeHandlerDeps,
  type ReadFunction,
} from "./intake-handler.ts";
export { checkSource } from "./source-check.ts";
export { type IntakeDeps, type RunningIntake, startIntake } from "./start-intake.ts";

export { buildEnvelope } from "./build-envelope.ts";
export { hubIdFromStreamPosition } from "./derived-ids.ts";
export { type IngressMessage, readIngressMessage } from "./ingress-message.ts";
export { INTAKE_ERROR_CODES, IntakeDeadLetterError, IntakeStoreUnavailableError } from "./intake-errors.ts";
export { createIntakeHandler, type IntakeHandlerDeps, type ParseFunction } from "./intake-handler.ts";
export { checkSource } from "./source-check.ts";
export { type IntakeDeps, type RunningIntake, startIntake } from "./start-intake.ts";

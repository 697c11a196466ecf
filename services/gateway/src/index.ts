export type { AcceptOutcome, IncomingMessage } from "./accept-message.ts";
export { HealthStatus, MessageDuplicate, MessageReceived } from "./api-bodies.ts";
export { createGatewayApp } from "./app.ts";
export { type AuditTrail, busAuditTrail } from "./audit-trail.ts";
export type { GatewayDeps } from "./gateway-deps.ts";
export {
  GATEWAY_ERROR_CODES,
  GatewayAuditUnavailableError,
  GatewayRequestError,
  GatewayUnavailableError,
} from "./gateway-errors.ts";
export { ACCEPTED_MEDIA_TYPES } from "./media-type.ts";
export { buildOpenApiDocument, openApiText } from "./openapi.ts";
export { type RunningGateway, startGateway } from "./start-gateway.ts";

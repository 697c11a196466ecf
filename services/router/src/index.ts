export { type FactLookups, loadRouteFacts, planFactLookups } from "./route-facts.ts";
export { createRouteHandler, type RouteHandlerDeps, WaitingForOriginalError } from "./route-message.ts";
export {
  type AcknowledgementMatch,
  isProducedBySender,
  NO_ROUTE_FACTS,
  type RouteDecision,
  type RouteDelivery,
  type RouteFacts,
  resolveRoute,
} from "./route-resolver.ts";
export { type RouterKeys, routerKeys } from "./router-keys.ts";
export {
  MEDCOM_ISSUE_CODES,
  PayloadMissingError,
  ROUTER_ERROR_CODES,
  RouterStateUnavailableError,
} from "./routing-errors.ts";
export { type Addressee, type RoutingRegistry, resolveAddressee } from "./routing-registry.ts";
export { evaluateRule, isConsentWithheld, type RuleSubject, type RuleVerdict } from "./routing-rules.ts";
export { type RouterDeps, type RunningRouter, startRouter } from "./start-router.ts";

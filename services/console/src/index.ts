export { CIRCUIT_POLL_MS, type CircuitStateOf, watchCircuits } from "./circuit-incidents.ts";
export { cookieValue, createConsoleApp, SESSION_COOKIE, sessionCookie } from "./console-app.ts";
export { type ConsoleAuditTrail, consoleAuditTrail } from "./console-audit.ts";
export { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
export { type ConsoleKeys, consoleKeys } from "./console-keys.ts";
export type { ConsoleAppDeps, ConsoleRequests, RedriveTo, ResendTo, SignedIn } from "./console-request.ts";
export { type ConsolePermission, mayDo, permissionsOf } from "./console-roles.ts";
export {
  CONSOLE_ENV,
  type ConsoleOptions,
  DEFAULT_CONSOLE_OPTIONS,
  parseConsoleOptions,
  secureCookiesOn,
} from "./console-settings.ts";
export { type EndpointOverview, endpointOverview, statisticsCsv } from "./endpoint-overview.ts";
export { FlowCounter, type FlowSecond } from "./flow-counter.ts";
export {
  CloseIncidentBody,
  Incident,
  type IncidentActor,
  type IncidentStore,
  incidentsCsv,
  OpenIncidentBody,
  redisIncidentStore,
} from "./incident-store.ts";
export { BACKLOG_POLL_MS, type Backlog, type LiveFlow, startLiveFlow } from "./live-flow.ts";
export { type MessageBrowser, type MessagePayload, type MessageSearch, messageBrowser } from "./message-browser.ts";
export { ConsoleSearchBody } from "./message-routes.ts";
export { prettyPayload } from "./pretty-payload.ts";
export { type ConsoleSession, redisSessionStore, type SessionStore } from "./session-store.ts";
export { type ConsoleDeps, type RunningConsole, startConsole } from "./start-console.ts";
export { buildUiBundle, type UiBundle } from "./ui-bundle.ts";

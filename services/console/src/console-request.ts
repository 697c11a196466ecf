import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { AuditRecord, Operator, StatusCounts } from "@carehub/schemas";
import type { ReadModelQueries } from "@carehub/store";
import type { FastifyRequest } from "fastify";
import type { CircuitStateOf } from "./circuit-incidents.ts";
import type { ConsoleAuditTrail } from "./console-audit.ts";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
import { type ConsolePermission, mayDo } from "./console-roles.ts";
import type { IncidentStore } from "./incident-store.ts";
import type { LiveFlow } from "./live-flow.ts";
import type { MessageBrowser } from "./message-browser.ts";
import type { OidcSignIn } from "./oidc-sign-in.ts";
import type { SessionStore } from "./session-store.ts";
import type { UiBundle } from "./ui-bundle.ts";

/**
 * Puts the dead letters of the given messages for ONE receiver back on that receiver's OUTBOX subject (the
 * dispatcher's redrive, which links each with a `replayed` event); at most `limit`. Answers the hub ids re-driven.
 */
export type RedriveTo = (request: {
  hubIds: readonly string[];
  endpoint: string;
  limit: number;
}) => Promise<{ redriven: number; hubIds: string[] }>;

/**
 * Sends delivered messages again to ONE receiver they were delivered to, each as a new numbered delivery linked to
 * its original (the dispatcher's re-send, docs/decisions/0072); at most `limit`. Answers the hub ids re-sent.
 */
export type ResendTo = (request: {
  hubIds: readonly string[];
  endpoint: string;
  limit: number;
}) => Promise<{ resent: number; hubIds: string[] }>;

export interface ConsoleAppDeps {
  registry: RegistrySource;
  sessions: SessionStore;
  audit: ConsoleAuditTrail;
  flow: LiveFlow;
  browser: MessageBrowser;
  /** The read model's keyed patient hash: a patient search is recorded by it, never by the CPR number. */
  patientHash: (identifier: string) => string;
  ui: UiBundle;
  sessionTtlSeconds: number;
  /** Whether the session cookie carries `Secure` (CAREHUB_CONSOLE_SECURE_COOKIES, resolved for the listen host). */
  secureCookies: boolean;
  /** OpenID Connect sign-in, when configured. */
  oidc?: OidcSignIn;
  redrive: RedriveTo;
  resend: ResendTo;
  incidents: IncidentStore;
  /** The read model's message counters (GET /v1/stats's). */
  statusCounts: () => Promise<StatusCounts>;
  /** The read model's day counters summed per day, week or month (packages/store/src/day-stats.ts). */
  periodStats: ReadModelQueries["periodStats"];
  /** The care overview's items and courses of one endpoint (packages/store, care-overview). */
  careBoard: ReadModelQueries["careBoard"];
  circuitState: CircuitStateOf;
  logger?: Logger;
}

export interface SignedIn {
  operator: Operator;
  sessionId: string;
  expiresAt: number;
}

/** What every route learns about its request: who signed it in, the request facts an access record keeps. */
export interface ConsoleRequests {
  who(request: FastifyRequest): SignedIn;
  requestFacts(request: FastifyRequest): AuditRecord["request"];
  /** Throws 403 (after writing the refusal's access record) unless the caller's role grants `permission`. */
  refuse(
    request: FastifyRequest,
    permission: ConsolePermission,
    access: Pick<AuditRecord, "action" | "resources"> & { query?: AuditRecord["query"] },
  ): Promise<void>;
}

/** The request helpers over the sign-ins the onRequest hook recorded. */
export function consoleRequests(
  signedIn: WeakMap<FastifyRequest, SignedIn>,
  audit: ConsoleAuditTrail,
): ConsoleRequests {
  const who = (request: FastifyRequest): SignedIn => {
    const found = signedIn.get(request);
    if (found === undefined) throw new Error("the onRequest hook did not sign the request in");
    return found;
  };
  const requestFacts = (request: FastifyRequest): AuditRecord["request"] => ({
    id: String(request.id),
    method: request.method,
    remoteAddress: request.ip,
    ...(request.headers["user-agent"] === undefined ? {} : { userAgent: request.headers["user-agent"] }),
  });
  const refuse = async (
    request: FastifyRequest,
    permission: ConsolePermission,
    access: Pick<AuditRecord, "action" | "resources"> & { query?: AuditRecord["query"] },
  ) => {
    const { operator } = who(request);
    if (mayDo(operator.role, permission)) return;
    const error = new ConsoleRequestError(403, CONSOLE_ERROR_CODES.forbidden, `your role may not ${permission}`);
    await audit.record({
      operatorId: operator.id,
      ...access,
      outcome: { status: 403, result: "denied", count: 0, code: error.code },
      request: requestFacts(request),
    });
    throw error;
  };
  return { who, requestFacts, refuse };
}

import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import {
  type AuditRecord,
  EndpointId,
  MessageKind,
  MessageListQuery,
  MessageStatus,
  type Operator,
  type StatusCounts,
} from "@carehub/schemas";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { z } from "zod";
import type { CircuitStateOf } from "./circuit-incidents.ts";
import type { ConsoleAuditTrail } from "./console-audit.ts";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
import { type ConsolePermission, mayDo, permissionsOf } from "./console-roles.ts";
import { endpointOverview, statisticsCsv } from "./endpoint-overview.ts";
import { CloseIncidentBody, type IncidentStore, incidentsCsv, OpenIncidentBody } from "./incident-store.ts";
import type { LiveFlow } from "./live-flow.ts";
import type { MessageBrowser } from "./message-browser.ts";
import type { SessionStore } from "./session-store.ts";
import type { UiBundle } from "./ui-bundle.ts";

export const SESSION_COOKIE = "carehub_console";

/** Puts the dead letter of one message for one receiver back on that receiver's OUTBOX subject. */
export type RedriveOne = (request: { hubId: string; endpoint: string }) => Promise<{ redriven: number }>;

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
  redrive: RedriveOne;
  incidents: IncidentStore;
  /** The read model's message counters (GET /v1/stats's). */
  statusCounts: () => Promise<StatusCounts>;
  circuitState: CircuitStateOf;
  logger?: Logger;
}

interface SignedIn {
  operator: Operator;
  sessionId: string;
  expiresAt: number;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const SignInBody = z.strictObject({ token: z.string().min(1).max(512) });
const RerunBody = z.strictObject({ receiver: EndpointId });
const HubId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/);
/** The search form: the query API's filters (without its cursor rules) plus a hub id or a sender's message id. */
export const ConsoleSearchBody = MessageListQuery.extend({
  hubId: HubId.optional(),
  messageId: z.string().min(1).max(128).optional(),
});

/**
 * The console's HTTP side: the web application (one HTML page, its script and styles) and its JSON API under
 * `/api/`. Every API call but signing in needs the session cookie; roles are checked here, on the server, from
 * the registry's current entry for the operator. Payload views and every search leave an access record on the
 * AUDIT stream before anything is answered (fail closed).
 */
export async function createConsoleApp(deps: ConsoleAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger as FastifyBaseLogger }),
    // One line per request is noise; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16_384,
    // Fastify's own answer to a URL it cannot decode repeats the URL; ours is a fixed text.
    frameworkErrors: (_error, _request, reply) => {
      void (reply as FastifyReply)
        .code(400)
        .send({ code: CONSOLE_ERROR_CODES.badRequest, message: "the request is not one the console takes" });
    },
    // Live-flow streams never end by themselves: stopping the console closes them.
    forceCloseConnections: true,
  });
  const signedIn = new WeakMap<FastifyRequest, SignedIn>();

  app.addHook("onSend", async (_request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("x-frame-options", "DENY");
    reply.header("referrer-policy", "no-referrer");
    reply.header(
      "content-security-policy",
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    );
    return payload;
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ConsoleRequestError) {
      return reply.code(error.statusCode).send({ code: error.code, message: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (error instanceof z.ZodError || (typeof status === "number" && status >= 400 && status < 500)) {
      return reply
        .code(400)
        .send({ code: CONSOLE_ERROR_CODES.badRequest, message: "the request is not one the console takes" });
    }
    request.log.error({ err: error }, "console request failed");
    return reply.code(500).send({ code: CONSOLE_ERROR_CODES.internal, message: "the console failed; see its log" });
  });

  // Fastify's own 404 names the URL; ours does not.
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ code: CONSOLE_ERROR_CODES.notFound, message: "no such console page or API" }),
  );

  app.addHook("onRequest", async (request, reply) => {
    if (!request.url.startsWith("/api/")) return;
    reply.header("cache-control", "no-store");
    if (request.method === "POST" && request.url === "/api/session") return;
    // The CLI (`carehub incidents`) calls the same API with the operator's token instead of a session.
    const bearer = BEARER.exec(request.headers.authorization ?? "")?.[1];
    if (bearer !== undefined) {
      const operator = deps.registry.current().authenticateOperator(bearer);
      if (operator === undefined)
        throw new ConsoleRequestError(401, CONSOLE_ERROR_CODES.unauthenticated, "sign in first");
      signedIn.set(request, { operator, sessionId: "", expiresAt: Date.now() });
      return;
    }
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = id === undefined ? undefined : await deps.sessions.find(id);
    // The registry decides, now: an operator removed from it is signed out whatever the session says.
    const operator =
      session === undefined
        ? undefined
        : deps.registry
            .current()
            .operators()
            .find((o) => o.id === session.operatorId);
    if (id === undefined || session === undefined || operator === undefined) {
      throw new ConsoleRequestError(401, CONSOLE_ERROR_CODES.unauthenticated, "sign in first");
    }
    signedIn.set(request, { operator, sessionId: id, expiresAt: session.expiresAt });
  });

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
    await deps.audit.record({
      operatorId: operator.id,
      ...access,
      outcome: { status: 403, result: "denied", count: 0, code: error.code },
      request: requestFacts(request),
    });
    throw error;
  };

  app.post("/api/session", async (request, reply) => {
    const { token } = SignInBody.parse(request.body);
    const operator = deps.registry.current().authenticateOperator(token);
    if (operator === undefined) {
      throw new ConsoleRequestError(401, CONSOLE_ERROR_CODES.signInFailed, "that token signs in no operator");
    }
    const { id, session } = await deps.sessions.create(operator.id);
    reply.header(
      "set-cookie",
      `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${deps.sessionTtlSeconds}`,
    );
    return describe(operator, session.expiresAt);
  });

  app.get("/api/session", async (request) => {
    const { operator, expiresAt } = who(request);
    return describe(operator, expiresAt);
  });

  app.delete("/api/session", async (request, reply) => {
    const { sessionId } = who(request);
    if (sessionId !== "") await deps.sessions.destroy(sessionId);
    reply.header("set-cookie", `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return reply.code(204).send();
  });

  // What the search form offers: the registry's endpoints, the kinds and the statuses a listing filters by.
  app.get("/api/vocabulary", async () => ({
    endpoints: deps.registry
      .current()
      .endpoints()
      .map((e) => ({ id: e.id, name: e.name })),
    kinds: MessageKind.options,
    statuses: [...MessageStatus.options, "ack-overdue"],
  }));

  app.get("/api/flow", async () => ({ series: deps.flow.series(), backlog: deps.flow.backlog() }));

  app.get("/api/flow/live", (request, reply) => streamFlow(request, reply, deps.flow));

  app.post("/api/messages/search", async (request) => {
    const { operator } = who(request);
    const search = ConsoleSearchBody.parse(request.body);
    const { patient } = search;
    const query = appliedFilters(search, patient === undefined ? undefined : deps.patientHash(patient));
    if (patient !== undefined) {
      await refuse(request, "search-patient", { action: "message.list", resources: [], query });
    }
    const page = await deps.browser.search(search);
    await deps.audit.record({
      operatorId: operator.id,
      action: "message.list",
      resources: page.items.map((item) => ({ type: "message" as const, id: item.hubId })),
      query,
      outcome: { status: 200, result: "ok", count: page.items.length },
      request: requestFacts(request),
    });
    return page;
  });

  app.get<{ Params: { hubId: string } }>("/api/messages/:hubId", async (request) => {
    const { operator } = who(request);
    const hubId = HubId.parse(request.params.hubId);
    const record = await deps.browser.get(hubId);
    await deps.audit.record({
      operatorId: operator.id,
      action: "message.read",
      resources: [{ type: "message", id: hubId }],
      outcome:
        record === undefined
          ? { status: 404, result: "not-found", count: 0, code: CONSOLE_ERROR_CODES.notFound }
          : { status: 200, result: "ok", count: 1 },
      request: requestFacts(request),
    });
    if (record === undefined) throw new ConsoleRequestError(404, CONSOLE_ERROR_CODES.notFound, "no such message");
    return record;
  });

  app.get<{ Params: { hubId: string } }>("/api/messages/:hubId/payload", async (request) => {
    const { operator } = who(request);
    const hubId = HubId.parse(request.params.hubId);
    const resources = [{ type: "message" as const, id: hubId }];
    await refuse(request, "view-payload", { action: "message.payload", resources });
    const record = await deps.browser.get(hubId);
    const payload = record === undefined ? undefined : await deps.browser.payload(record);
    await deps.audit.record({
      operatorId: operator.id,
      action: "message.payload",
      resources,
      outcome:
        payload === undefined
          ? { status: 404, result: "not-found", count: 0, code: CONSOLE_ERROR_CODES.notFound }
          : { status: 200, result: "ok", count: 1 },
      request: requestFacts(request),
    });
    if (payload === undefined) {
      throw new ConsoleRequestError(404, CONSOLE_ERROR_CODES.notFound, "no stored payload for that message");
    }
    return payload;
  });

  // Re-run: the message's dead letter for ONE receiver goes back to that receiver only (never to all), through
  // the dispatcher's redrive, which links it (a `replayed` hop) and delivers it at most once.
  app.post<{ Params: { hubId: string } }>("/api/messages/:hubId/rerun", async (request) => {
    const { operator } = who(request);
    const hubId = HubId.parse(request.params.hubId);
    const { receiver } = RerunBody.parse(request.body);
    const resources = [{ type: "message" as const, id: hubId }];
    await refuse(request, "rerun", { action: "message.rerun", resources });
    const record = await deps.browser.get(hubId);
    const dead = record?.perReceiver.some((r) => r.endpoint === receiver && r.status === "dead-lettered") === true;
    const { redriven } = dead ? await deps.redrive({ hubId, endpoint: receiver }) : { redriven: 0 };
    const refusal =
      record === undefined
        ? new ConsoleRequestError(404, CONSOLE_ERROR_CODES.notFound, "no such message")
        : redriven === 0
          ? new ConsoleRequestError(
              409,
              CONSOLE_ERROR_CODES.notDeadLettered,
              "the message has no dead letter for that receiver (not dead-lettered there, or already re-run)",
            )
          : undefined;
    await deps.audit.record({
      operatorId: operator.id,
      action: "message.rerun",
      resources,
      query: { receiver },
      outcome:
        refusal === undefined
          ? { status: 200, result: "ok", count: redriven }
          : {
              status: refusal.statusCode,
              result: refusal.statusCode === 404 ? "not-found" : "invalid",
              count: 0,
              code: refusal.code,
            },
      request: requestFacts(request),
    });
    if (refusal !== undefined) throw refusal;
    return { hubId, receiver, redriven };
  });

  // Endpoints: counters, backlog and circuit of each; the counters as CSV (MedCom-style statistics).
  app.get("/api/endpoints", async () => {
    const endpoints = deps.registry.current().endpoints();
    const circuits = new Map(
      await Promise.all(endpoints.map(async (e) => [e.id, await deps.circuitState(e.id)] as const)),
    );
    return { items: endpointOverview(endpoints, await deps.statusCounts(), deps.flow.backlog(), circuits) };
  });
  app.get("/api/statistics.csv", async (_request, reply) =>
    reply
      .header("content-type", "text/csv; charset=utf-8")
      .header("content-disposition", 'attachment; filename="carehub-statistics.csv"')
      .send(statisticsCsv(await deps.statusCounts())),
  );

  // The disruption log: everyone signed in reads it; operators and admins open and close incidents.
  const IncidentList = z.strictObject({
    state: z.enum(["open", "closed"]).optional(),
    limit: z.coerce.number().int().min(1).max(5_000).optional(),
  });
  const mayManage = (request: FastifyRequest) => {
    if (!mayDo(who(request).operator.role, "manage-incidents")) {
      throw new ConsoleRequestError(403, CONSOLE_ERROR_CODES.forbidden, "your role may not manage-incidents");
    }
  };
  const actorOf = (request: FastifyRequest) => ({ type: "operator" as const, id: who(request).operator.id });
  app.get("/api/incidents", async (request) => ({
    items: await deps.incidents.list(IncidentList.parse(request.query)),
  }));
  app.get("/api/incidents.csv", async (request, reply) => {
    const csv = incidentsCsv(await deps.incidents.list(IncidentList.parse(request.query)));
    return reply
      .header("content-type", "text/csv; charset=utf-8")
      .header("content-disposition", 'attachment; filename="carehub-incidents.csv"')
      .send(csv);
  });
  app.post("/api/incidents", async (request, reply) => {
    mayManage(request);
    const incident = await deps.incidents.open(OpenIncidentBody.parse(request.body), actorOf(request));
    return reply.code(201).send(incident);
  });
  app.post<{ Params: { id: string } }>("/api/incidents/:id/close", async (request) => {
    mayManage(request);
    const { note } = CloseIncidentBody.parse(request.body ?? {});
    const closed = await deps.incidents.close(z.uuid().parse(request.params.id), actorOf(request), note);
    if (closed === undefined) throw new ConsoleRequestError(404, CONSOLE_ERROR_CODES.notFound, "no such incident");
    return closed;
  });

  const page = (body: string, contentType: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header("content-type", contentType).header("cache-control", "no-cache").send(body);
  app.get("/", page(deps.ui.html, "text/html; charset=utf-8"));
  app.get("/console.js", page(deps.ui.script, "text/javascript; charset=utf-8"));
  app.get("/console.css", page(deps.ui.styles, "text/css; charset=utf-8"));
  return app;
}

function describe(operator: Operator, expiresAt: number) {
  return {
    operator: { id: operator.id, name: operator.name, role: operator.role },
    permissions: permissionsOf(operator.role),
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/** The filters as the access record keeps them: values as validated, the patient only as its keyed hash. */
function appliedFilters(search: z.infer<typeof ConsoleSearchBody>, patientHash: string | undefined) {
  const { sender, receiver, kind, status, from, to } = search;
  const kept = { sender, receiver, kind, status, from, to };
  return {
    ...Object.fromEntries(Object.entries(kept).filter(([, v]) => v !== undefined)),
    ...(patientHash === undefined ? {} : { patientHash }),
  } as NonNullable<AuditRecord["query"]>;
}

/** Server-sent events: one `tick` a second with the second just counted and the latest backlogs. */
function streamFlow(request: FastifyRequest, reply: FastifyReply, flow: LiveFlow): void {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-content-type-options": "nosniff",
  });
  out.write("retry: 2000\n\n");
  const unsubscribe = flow.onTick((second, backlog) => {
    out.write(`event: tick\ndata: ${JSON.stringify({ second, backlog })}\n\n`);
  });
  request.raw.on("close", () => {
    unsubscribe();
    out.end();
  });
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return undefined;
}

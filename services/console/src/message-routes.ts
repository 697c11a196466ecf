import { type AuditRecord, EndpointId, MessageListQuery } from "@carehub/schemas";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
import type { ConsoleAppDeps, ConsoleRequests } from "./console-request.ts";

const RerunBody = z.strictObject({ receiver: EndpointId });
export const HubId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/);
/** The search form: the query API's filters (without its cursor rules) plus a hub id or a sender's message id. */
export const ConsoleSearchBody = MessageListQuery.extend({
  hubId: HubId.optional(),
  messageId: z.string().min(1).max(128).optional(),
});

/**
 * The message browser's routes: search (a patient only for roles that may), one record, its payload (roles that
 * may), and the re-run of a dead letter to one receiver. Each leaves an access record, refusals included.
 */
export function registerMessageRoutes(app: FastifyInstance, deps: ConsoleAppDeps, requests: ConsoleRequests): void {
  const { who, requestFacts, refuse } = requests;
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
    const { redriven } = dead ? await deps.redrive({ hubIds: [hubId], endpoint: receiver, limit: 1 }) : { redriven: 0 };
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

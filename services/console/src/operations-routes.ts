import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
import type { ConsoleAppDeps, ConsoleRequests } from "./console-request.ts";
import { mayDo } from "./console-roles.ts";
import { endpointOverview, statisticsCsv } from "./endpoint-overview.ts";
import { CloseIncidentBody, incidentsCsv, OpenIncidentBody } from "./incident-store.ts";

/** The endpoints view with its statistics CSV, and the disruption log. */
export function registerOperationsRoutes(app: FastifyInstance, deps: ConsoleAppDeps, requests: ConsoleRequests): void {
  const { who } = requests;
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
}

import { EndpointId } from "@carehub/schemas";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { boardColumns } from "./care-board.ts";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
import type { ConsoleAppDeps, ConsoleRequests } from "./console-request.ts";

/** The most referrals and tasks one board reads (newest first); it says when there were more. */
export const BOARD_MAX_ITEMS = 2_000;
const BoardQuery = z.strictObject({
  endpoint: EndpointId,
  limit: z.coerce.number().int().min(1).max(BOARD_MAX_ITEMS).default(500),
});

/**
 * Boards (issue 13): the referrals, tasks, appointments and package courses one endpoint is a party to, by status
 * and age, from the care overview's read model; each item with its history (the drill-down). Items name
 * endpoints, business ids and the hub ids of the messages that stated each status: never a patient, so every
 * role may read them. Each read is an access record (`care-list.list`, like the query API's worklists).
 */
export function registerBoardRoutes(app: FastifyInstance, deps: ConsoleAppDeps, requests: ConsoleRequests): void {
  const { who, requestFacts } = requests;
  app.get("/api/boards", async (request) => {
    const { operator } = who(request);
    const { endpoint, limit } = BoardQuery.parse(request.query);
    if (
      deps.registry
        .current()
        .endpoints()
        .every((e) => e.id !== endpoint)
    ) {
      throw new ConsoleRequestError(404, CONSOLE_ERROR_CODES.notFound, "no such endpoint in the registry");
    }
    const board = await deps.careBoard(endpoint, limit);
    await deps.audit.record({
      operatorId: operator.id,
      action: "care-list.list",
      resources: [
        ...board.items.map((i) => ({ type: i.type, id: `${i.originator}/${i.id}` })),
        ...board.courses.map((c) => ({ type: "course" as const, id: c.id })),
      ],
      query: { list: "board", endpoint },
      outcome: { status: 200, result: "ok", count: board.items.length },
      request: requestFacts(request),
    });
    return { endpoint, ...board, columns: boardColumns(board, Date.now()) };
  });
}

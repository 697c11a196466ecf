import { InvalidQueryError, type PeriodStats, statDay } from "@carehub/store";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
import type { ConsoleAppDeps } from "./console-request.ts";
import { csvText } from "./csv.ts";

const DAY_MS = 86_400_000;
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
/** `GET /api/statistics`: a range of UTC days summed per day, ISO week or month; by default the last 30 days. */
export const StatisticsQuery = z.strictObject({
  period: z.enum(["day", "week", "month"]).default("day"),
  from: Day.optional(),
  to: Day.optional(),
});
const CsvQuery = StatisticsQuery.extend({ table: z.enum(["messages", "analyses"]).default("messages") });

/**
 * Statistics as MedCom reports them: messages per kind, per sender and receiver and per status, and analyses per
 * analysis code (lab results, home-care observations), per day, week or month, from the read model's day
 * counters (packages/store/src/day-stats.ts); the same as CSV. Counters only: no message, no patient.
 */
export function registerStatisticsRoutes(app: FastifyInstance, deps: ConsoleAppDeps): void {
  const read = async (query: z.infer<typeof StatisticsQuery>): Promise<PeriodStats> => {
    const to = query.to ?? statDay(Date.now());
    const from = query.from ?? statDay(Date.parse(`${to}T00:00:00.000Z`) - 29 * DAY_MS);
    try {
      return await deps.periodStats({ from, to, period: query.period });
    } catch (error) {
      if (!(error instanceof InvalidQueryError)) throw error;
      throw new ConsoleRequestError(
        400,
        CONSOLE_ERROR_CODES.badRequest,
        "from and to must be days (YYYY-MM-DD), from not after to, at most 400 days apart",
      );
    }
  };
  app.get("/api/statistics", async (request) => read(StatisticsQuery.parse(request.query)));
  app.get("/api/statistics/periods.csv", async (request, reply) => {
    const { table, ...query } = CsvQuery.parse(request.query);
    const stats = await read(query);
    const name = `carehub-${table}-per-${stats.period}-${stats.from}-${stats.to}.csv`;
    return reply
      .header("content-type", "text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="${name}"`)
      .send(table === "messages" ? messagesCsv(stats) : analysesCsv(stats));
  });
}

export function messagesCsv(stats: PeriodStats): string {
  return csvText(
    [stats.period, "endpoint", "role", "kind", "status", "count"],
    stats.messages.map((r) => [r.period, r.endpoint, r.role, r.kind, r.status, String(r.count)]),
  );
}

export function analysesCsv(stats: PeriodStats): string {
  return csvText(
    [stats.period, "sender", "kind", "code", "count"],
    stats.analyses.map((r) => [r.period, r.sender, r.kind, r.code, String(r.count)]),
  );
}

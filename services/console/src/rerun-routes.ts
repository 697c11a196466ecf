import { EndpointId, MessageKind, MessageStatusFilter } from "@carehub/schemas";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
import type { ConsoleAppDeps, ConsoleRequests } from "./console-request.ts";
import { HubId } from "./message-routes.ts";

/** The most messages one re-run request may send again (selected or by filter). */
export const RERUN_MAX = 500;
/** The most candidates a filter re-run looks at to find its dead letters (bounded work per request). */
const RERUN_SCAN_LIMIT = 5_000;
const PAGE = 500;

/** A filter re-run's filters: the listing's, without a patient; the receiver is the chosen one, always. */
const RerunFilter = z.strictObject({
  sender: EndpointId.optional(),
  kind: MessageKind.optional(),
  status: MessageStatusFilter.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
const RerunManyBody = z.strictObject({
  receiver: EndpointId.optional(),
  hubIds: z.array(HubId).min(1).max(RERUN_MAX).optional(),
  filter: RerunFilter.optional(),
  max: z.number().int().min(1).max(RERUN_MAX).optional(),
  /** false (the default): only say what would be re-run (the confirmation step); true: re-run it. */
  confirm: z.boolean().default(false),
});

/**
 * Re-run of many: the dead letters of selected messages, or of every message a filter finds, to ONE receiver the
 * caller names (never to all), at most `max` (a filter re-run must say it). First without `confirm`: the answer
 * lists what would go (the confirmation step); then with `confirm: true`. Each message re-driven is linked to its
 * original by the dispatcher's `replayed` event; each request is one access record naming every message.
 */
export function registerRerunRoutes(app: FastifyInstance, deps: ConsoleAppDeps, requests: ConsoleRequests): void {
  const { who, requestFacts, refuse } = requests;
  app.post("/api/messages/rerun", async (request) => {
    const { operator } = who(request);
    const body = RerunManyBody.parse(request.body);
    const { receiver, hubIds, filter, confirm } = body;
    if (receiver === undefined) {
      throw new ConsoleRequestError(
        400,
        CONSOLE_ERROR_CODES.rerunUnbounded,
        "name the one receiver to re-run to (receiver); a re-run never goes to every receiver",
      );
    }
    if ((hubIds === undefined) === (filter === undefined)) {
      throw new ConsoleRequestError(400, CONSOLE_ERROR_CODES.badRequest, "send either hubIds or a filter, not both");
    }
    if (filter !== undefined && body.max === undefined) {
      throw new ConsoleRequestError(
        400,
        CONSOLE_ERROR_CODES.rerunUnbounded,
        `a filter re-run needs an upper bound on how many it sends (max, at most ${RERUN_MAX})`,
      );
    }
    const max = body.max ?? hubIds?.length ?? 1;
    const query = { receiver, ...(filter ?? {}) };
    const action = confirm ? ("message.rerun" as const) : ("message.list" as const);
    await refuse(request, "rerun", { action, resources: [], query });
    const chosen = (
      hubIds === undefined ? await deadByFilter(receiver, filter ?? {}, max) : await deadAmong(hubIds, receiver)
    ).slice(0, max);
    const { redriven, hubIds: done } =
      confirm && chosen.length > 0
        ? await deps.redrive({ hubIds: chosen, endpoint: receiver, limit: max })
        : { redriven: 0, hubIds: [] as string[] };
    await deps.audit.record({
      operatorId: operator.id,
      action,
      resources: (confirm ? done : chosen).map((id) => ({ type: "message" as const, id })),
      query,
      outcome: { status: 200, result: "ok", count: confirm ? redriven : chosen.length },
      request: requestFacts(request),
    });
    return confirm
      ? { receiver, confirmed: true, matched: chosen.length, redriven, hubIds: done }
      : { receiver, confirmed: false, matched: chosen.length, redriven: 0, hubIds: chosen };
  });

  /** Those of the messages that have a dead letter for `receiver`, in the order given. */
  async function deadAmong(hubIds: readonly string[], receiver: string): Promise<string[]> {
    const records = await Promise.all([...new Set(hubIds)].map((id) => deps.browser.get(id)));
    return records
      .filter((r) => r?.perReceiver.some((p) => p.endpoint === receiver && p.status === "dead-lettered") === true)
      .map((r) => r?.hubId ?? "");
  }

  /** Up to `max` messages to `receiver` the filter finds, newest first, that have a dead letter there. */
  async function deadByFilter(receiver: string, filter: z.infer<typeof RerunFilter>, max: number): Promise<string[]> {
    const found: string[] = [];
    let cursor: string | undefined;
    let scanned = 0;
    do {
      const page = await deps.browser.search({
        ...filter,
        receiver,
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      scanned += page.items.length;
      found.push(
        ...(await deadAmong(
          page.items.map((i) => i.hubId),
          receiver,
        )),
      );
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && found.length < max && scanned < RERUN_SCAN_LIMIT);
    return found.slice(0, max);
  }
}

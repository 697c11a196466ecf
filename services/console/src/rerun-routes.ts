import { EndpointId, MessageKind, MessageStatusFilter, type ReceiverOutcome } from "@carehub/schemas";
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

/** Whether a message's outcome at the chosen receiver makes it one to send again. */
type ReceiverTest = (outcome: ReceiverOutcome) => boolean;

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
  /**
   * true: re-send messages already delivered to the receiver (ack-overdue ones, or any selected), each as a new
   * numbered delivery (docs/decisions/0072); false (the default): re-drive the receiver's dead letters.
   */
  resend: z.boolean().default(false),
});

/**
 * Re-run of many: the dead letters of selected messages, or of every message a filter finds, to ONE receiver the
 * caller names (never to all), at most `max` (a filter re-run must say it). With `resend: true`, the messages
 * already delivered to that receiver instead (ack-overdue ones: `filter.status: "ack-overdue"`), each sent again
 * as a new numbered delivery by the dispatcher's re-send (docs/decisions/0072), recorded as `message.resend`. First without `confirm`: the answer
 * lists what would go (the confirmation step); then with `confirm: true`. Each message re-driven is linked to its
 * original by the dispatcher's `replayed` event; each request is one access record naming every message.
 */
export function registerRerunRoutes(app: FastifyInstance, deps: ConsoleAppDeps, requests: ConsoleRequests): void {
  const { who, requestFacts, refuse } = requests;
  app.post("/api/messages/rerun", async (request) => {
    const { operator } = who(request);
    const body = RerunManyBody.parse(request.body);
    const { receiver, hubIds, filter, confirm, resend } = body;
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
    const doneAction = resend ? ("message.resend" as const) : ("message.rerun" as const);
    const action = confirm ? doneAction : ("message.list" as const);
    await refuse(request, "rerun", { action, resources: [], query });
    // A re-run takes the receiver's dead letters; a re-send the messages already delivered there.
    const wanted: ReceiverTest = resend ? (p) => p.deliveredAt !== undefined : (p) => p.status === "dead-lettered";
    const chosen = (
      hubIds === undefined ? await byFilter(receiver, filter ?? {}, max, wanted) : await among(hubIds, receiver, wanted)
    ).slice(0, max);
    const send = async (): Promise<{ count: number; hubIds: string[] }> => {
      if (!confirm || chosen.length === 0) return { count: 0, hubIds: [] };
      const request = { hubIds: chosen, endpoint: receiver, limit: max };
      if (resend) {
        const { resent, hubIds: sent } = await deps.resend(request);
        return { count: resent, hubIds: sent };
      }
      const { redriven, hubIds: sent } = await deps.redrive(request);
      return { count: redriven, hubIds: sent };
    };
    const { count, hubIds: done } = await send();
    await deps.audit.record({
      operatorId: operator.id,
      action,
      resources: (confirm ? done : chosen).map((id) => ({ type: "message" as const, id })),
      query,
      outcome: { status: 200, result: "ok", count: confirm ? count : chosen.length },
      request: requestFacts(request),
    });
    const answer = confirm
      ? { receiver, confirmed: true, matched: chosen.length, hubIds: done }
      : { receiver, confirmed: false, matched: chosen.length, hubIds: chosen };
    return resend
      ? { ...answer, resend: true, resent: confirm ? count : 0 }
      : { ...answer, redriven: confirm ? count : 0 };
  });

  /** Those of the messages whose outcome at `receiver` passes `wanted`, in the order given. */
  async function among(hubIds: readonly string[], receiver: string, wanted: ReceiverTest): Promise<string[]> {
    const records = await Promise.all([...new Set(hubIds)].map((id) => deps.browser.get(id)));
    return records
      .filter((r) => r?.perReceiver.some((p) => p.endpoint === receiver && wanted(p)) === true)
      .map((r) => r?.hubId ?? "");
  }

  /** Up to `max` messages to `receiver` the filter finds, newest first, whose outcome there passes `wanted`. */
  async function byFilter(
    receiver: string,
    filter: z.infer<typeof RerunFilter>,
    max: number,
    wanted: ReceiverTest,
  ): Promise<string[]> {
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
        ...(await among(
          page.items.map((i) => i.hubId),
          receiver,
          wanted,
        )),
      );
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && found.length < max && scanned < RERUN_SCAN_LIMIT);
    return found.slice(0, max);
  }
}

import type { Bus } from "@carehub/bus";
import { type Logger, recordAckOverdue } from "@carehub/observability";
import type { EventOf, MessageKind } from "@carehub/schemas";
import {
  awaitsAcknowledgement,
  type ClaimedTimer,
  entityView,
  factKey,
  type ReadModelStore,
  type StaleLimits,
  subjectKey,
} from "@carehub/store";

export interface TimerDeps {
  bus: Pick<Bus, "publishEvent" | "topology">;
  store: Pick<
    ReadModelStore,
    | "claimDueTimers"
    | "finishTimer"
    | "getMessageState"
    | "getEntityState"
    | "applyEvent"
    | "updateEntity"
    | "sweepExpired"
  >;
  staleLimits: StaleLimits;
  /** Whether a kind still expects acknowledgements (registry): a timer armed before it stopped never fires. */
  acknowledgementExpected?: (kind: MessageKind) => boolean;
  clock: () => Date;
  logger?: Logger;
  /** Size-based retention: trims the streams (and raises the read model's floor) before each sweep. */
  trimStreams?: () => Promise<void>;
}

export interface TimerOptions {
  pollMs: number;
  leaseMs: number;
  sweepIntervalMs: number;
}

export interface RunningTimers {
  stop(): Promise<void>;
  /** One poll now (tests, and the first poll at start). */
  pollOnce(): Promise<number>;
}

/**
 * Polls `<ns>:timers` for due timers. Each is claimed atomically for a lease (so several tracker copies never
 * fire one twice while the first is alive), checked against the current record (an acknowledgement or a
 * status change may have overtaken it), fired as an event with a deterministic id, folded into the read
 * model at once, and then removed. A poller that dies mid-fire leaves the timer to come due again after
 * the lease; firing again publishes the same event id, which JetStream stores once.
 */
export function startTimers(deps: TimerDeps, options: TimerOptions): RunningTimers {
  let stopped = false;
  let lastSweep = 0;
  let current: Promise<unknown> = Promise.resolve();
  let wake: (() => void) | undefined;

  const pollOnce = async (): Promise<number> => {
    const claimed = await deps.store.claimDueTimers({ leaseMs: options.leaseMs, limit: 100 });
    for (const timer of claimed) {
      await fire(deps, timer);
      await deps.store.finishTimer(timer);
    }
    const now = deps.clock().getTime();
    if (now - lastSweep >= options.sweepIntervalMs) {
      lastSweep = now;
      // A failed trim (NATS away) must not stop the age sweep: it is tried again at the next sweep.
      await deps.trimStreams?.().catch((error: unknown) => {
        deps.logger?.warn({ err: error }, "size-based retention pass failed; retrying at the next sweep");
      });
      const removed = await deps.store.sweepExpired();
      if (removed > 0) deps.logger?.info({ removed }, "expired read-model records removed");
    }
    return claimed.length;
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      current = pollOnce().catch((error: unknown) => {
        // The poller must outlive a Redis or NATS outage; claimed timers come due again after their lease.
        deps.logger?.warn({ err: error }, "timer poll failed; retrying");
      });
      await current;
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, options.pollMs).unref();
      });
    }
  };
  const running = loop();

  return {
    pollOnce,
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}

async function fire(deps: TimerDeps, claimed: ClaimedTimer): Promise<void> {
  const timer = claimed.timer;
  const now = deps.clock();
  if (timer.type === "ack") {
    const state = await deps.store.getMessageState(timer.hubId);
    const r = state?.receivers[timer.endpoint];
    if (state === undefined || r === undefined || r.deliveredAt === undefined || r.ack !== undefined) return;
    // A timer armed before the record knew no acknowledgement was asked for (it is removed then) never fires.
    if (r.overdueAt !== undefined || !awaitsAcknowledgement(state)) return;
    if (state.kind !== undefined && deps.acknowledgementExpected?.(state.kind) === false) return;
    const event: EventOf<"ack-overdue"> = {
      schemaVersion: 1,
      type: "ack-overdue",
      eventId: `${timer.hubId}:ack-overdue:${timer.endpoint}`,
      at: now.toISOString(),
      hubId: timer.hubId,
      endpoint: timer.endpoint,
      dueAt: new Date(claimed.dueAt).toISOString(),
      ...(state.messageId === undefined ? {} : { messageId: state.messageId }),
      ...(state.sender === undefined ? {} : { sourceEndpoint: state.sender }),
      ...(state.kind === undefined ? {} : { kind: state.kind }),
      ...(state.traceId === undefined ? {} : { traceId: state.traceId }),
    };
    const stored = await deps.bus.publishEvent(event);
    // A timer fired again after its lease ran out publishes the same event id: counted once.
    if (!stored.duplicate) recordAckOverdue(timer.endpoint);
    await deps.store.applyEvent(event);
    return;
  }
  const subject = { type: timer.subject, originator: timer.originator, id: timer.id };
  const state = await deps.store.getEntityState(subject);
  if (state === undefined) return;
  const view = entityView(state);
  if (view.status === null || view.since === undefined || view.stale) return;
  const limit = deps.staleLimits[subject.type]?.[view.status];
  if (limit === undefined || view.since + limit > now.getTime()) return;
  const cause = state.facts.find((f) => factKey(f) === view.sinceKey)?.sources[0] ?? subjectKey(subject);
  // No span is active in a timer: the event joins the trace of the message that set the status.
  const traceId = (await deps.store.getMessageState(cause))?.traceId;
  const event: EventOf<"stale"> = {
    schemaVersion: 1,
    type: "stale",
    eventId: `${cause}:stale:${subjectKey(subject)}`,
    at: now.toISOString(),
    hubId: cause,
    subject,
    status: view.status,
    since: new Date(view.since).toISOString(),
    ...(traceId === undefined ? {} : { traceId }),
  };
  await deps.bus.publishEvent(event);
  deps.logger?.info(
    { subjectType: subject.type, subjectId: subject.id, status: view.status },
    "no status change within the limit",
  );
  await deps.store.updateEntity(
    { subject, seenAt: now.getTime(), staleMark: factKey({ status: view.status, occurredAt: view.since }) },
    { recordEffects: false },
  );
}

import { type BackoffPolicy, backoffDelayMs } from "@carehub/bus";
import { type Logger, recordDeliveryAttempt, recordPossibleDuplicate } from "@carehub/observability";
import type { Endpoint } from "@carehub/schemas";
import { CarehubError } from "@carehub/schemas";
import type { CircuitStore } from "./circuit-store.ts";
import type { DeliveryOutcome } from "./delivery-outcome.ts";
import type { DeliveryState } from "./delivery-state.ts";
import { DeliveryWait, WAIT_CODES } from "./delivery-wait.ts";
import {
  type AttemptRecord,
  DeliveryDeadLetter,
  DISPATCH_ERROR_CODES,
  DispatchStateUnavailableError,
} from "./dispatch-errors.ts";
import { deliveredEvent, deliveryFailedEvent, type EventSink } from "./dispatch-events.ts";
import type { DeliveryMessage } from "./http-delivery.ts";
import { type OutboxHeaders, readOutboxHeaders } from "./outbox-message.ts";

export interface DispatchPolicy {
  backoff: BackoffPolicy;
  /** How often a message that must follow another one looks again whether that one arrived. */
  predecessorPollMs: number;
  /** Upper bound of any pause, including one an endpoint asks for with Retry-After. */
  maxWaitMs: number;
  /**
   * Upper bound of an endpoint's `retryWindowSeconds`, in ms: half the OUTBOX retention, so that a copy is
   * dead-lettered (and kept in the DLQ) well before JetStream could drop it by age.
   */
  retryWindowCapMs: number;
}

/** One copy of a message on `<ns>.outbox.<endpoint>`, as the bus hands it over. */
export interface OutboxCopy {
  headers: Readonly<Record<string, string>>;
  data: Uint8Array;
  /** OUTBOX stream sequence: identifies this copy (a re-driven dead letter is a new copy). */
  seq: number;
  /** 1 on the first delivery of this copy by JetStream (waits count too). */
  deliveryCount: number;
  /** When OUTBOX stored this copy (epoch ms): its retry window starts here. */
  storedAtMs: number;
}

/** How many times a re-driven message looks again for a re-driven original before giving up on it. */
const REDRIVE_GRACE_POLLS = 5;

export interface EndpointDispatchDeps {
  endpointId: string;
  /** The endpoint's current registry entry (the registry can change while the consumer runs). */
  endpoint(): Endpoint | undefined;
  state: DeliveryState;
  circuits: CircuitStore;
  emit: EventSink;
  deliver(endpoint: Endpoint, message: DeliveryMessage): Promise<DeliveryOutcome>;
  policy: DispatchPolicy;
  now(): number;
  random(): number;
  logger?: Logger | undefined;
}

/**
 * Delivers one OUTBOX copy to its endpoint, or explains why not by throwing:
 * - resolves: delivered now, or earlier (the `delivered` marker; never twice);
 * - DeliveryWait (retryable): try again later — backoff after a failed attempt, an open circuit, or a
 *   correction waiting for its original; only a failed call counts as an attempt;
 * - DeliveryDeadLetter (permanent): the retry window passed (or the optional attempt limit is reached), the
 *   endpoint refused the message, the message it must follow was dead-lettered, or it expired (`Carehub-Expires`,
 *   a notification's expiry) before it could be delivered. The bus stores it in the DLQ with the reason and history.
 *
 * The retry budget is time (docs/decisions/0060): a copy is retried until `retryWindowSeconds` after OUTBOX stored
 * it; an attempt that got no answer (the receiver slower than `timeoutMs`) backs the endpoint off through the
 * circuit breaker and the backoff, but does not use up `maxDeliveryAttempts`.
 */
export async function dispatchOne(copy: OutboxCopy, deps: EndpointDispatchDeps): Promise<void> {
  const endpointId = deps.endpointId;
  const message = readOutboxHeaders(copy.headers, endpointId);
  const copyId = String(copy.seq);
  const endpoint = deps.endpoint();
  const checkedAt = deps.now();
  const expired = message.expiresAtMs !== undefined && message.expiresAtMs <= checkedAt;
  // With the endpoint known and the message in time, the check counts the attempt too when nothing else is in
  // the way (a closed circuit permits without a state change): one round trip before the call, not two.
  const check = await guard("checking delivery state", () =>
    deps.state.check(
      endpointId,
      message.hubId,
      message.after,
      copyId,
      { mayBegin: endpoint !== undefined && !expired, now: checkedAt },
      message.resend,
    ),
  );
  if (check.delivered !== undefined) {
    // Delivered before; the `delivered` event may have been lost with a crash: publish it again
    // (same event id, so JetStream keeps one).
    const { attempt, durationMs, at } = check.delivered;
    await deps.emit(deliveredEvent(message, endpointId, attempt, durationMs, new Date(at)));
    return;
  }

  if (expired && message.expiresAtMs !== undefined) {
    // Late is worse than never for a notification with an expiry ("your patient is waiting" an hour later).
    await deadLetter(deps, message, {
      code: DISPATCH_ERROR_CODES.expired,
      message: `expired at ${new Date(message.expiresAtMs).toISOString()} before it could be delivered`,
    });
  }
  if (check.predecessor === "pending") {
    throw new DeliveryWait(
      WAIT_CODES.waitingForPredecessor,
      `waiting until ${message.after} has been delivered to ${endpointId}`,
      deps.policy.predecessorPollMs,
    );
  }
  if (check.predecessor === "dead-lettered") {
    // Re-driven together, the original's new copy may not have been looked at yet: give it a moment.
    if (message.redriveCount > 0 && copy.deliveryCount <= REDRIVE_GRACE_POLLS) {
      throw new DeliveryWait(
        WAIT_CODES.waitingForPredecessor,
        `waiting to see whether ${message.after} was re-driven to ${endpointId} too`,
        deps.policy.predecessorPollMs,
      );
    }
    await deadLetter(deps, message, {
      code: DISPATCH_ERROR_CODES.predecessorDead,
      message: `${message.after}, which this message must follow, was dead-lettered at ${endpointId}; re-drive it first, then this one`,
    });
  }
  if (check.notBefore > checkedAt) {
    throw new DeliveryWait(WAIT_CODES.backoff, "backing off after a failed attempt", check.notBefore - checkedAt);
  }

  if (endpoint === undefined) {
    throw new DeliveryWait(
      DISPATCH_ERROR_CODES.endpointUnknown,
      `endpoint ${endpointId} is not in the registry`,
      deps.policy.maxWaitMs,
    );
  }
  let begun = check.begun;
  if (begun === undefined) {
    const permit = await guard("reading the circuit breaker", () =>
      deps.circuits.permit(endpointId, { raw: check.circuit }),
    );
    if (!permit.permitted) {
      const window = retryWindow(copy, endpoint, deps.policy);
      if (checkedAt >= window.deadline) {
        // The endpoint is known to be failing and the budget is spent: waiting for a probe slot would take a
        // backlog of such messages one cool-down each.
        await deadLetter(deps, message, {
          code: DISPATCH_ERROR_CODES.retryWindowPassed,
          message: `not delivered within the retry window of ${window.seconds} s; the circuit of ${endpointId} is open`,
        });
      }
      throw new DeliveryWait(
        WAIT_CODES.circuitOpen,
        `the circuit of ${endpointId} is open`,
        Math.min(permit.retryInMs, Math.max(0, window.deadline - checkedAt)),
      );
    }
    begun = await guard("counting the attempt", () => deps.state.beginAttempt(endpointId, message.hubId));
  }
  const { attempt, counted, total, previousMayHaveArrived } = begun;
  const limit = endpoint.maxDeliveryAttempts;
  if (limit !== undefined && counted > limit) {
    // Earlier attempts of this copy never reported back (the process died during the call).
    await deadLetter(deps, message, {
      code: DISPATCH_ERROR_CODES.attemptsExhausted,
      message: `${limit} attempts used up (the last ones did not report back)`,
    });
  }

  if (previousMayHaveArrived) {
    // The last attempt died mid-call, or got no answer (timeout, connection cut), and may have reached the
    // receiver: this one can be a wire duplicate.
    recordPossibleDuplicate(endpointId);
    deps.logger?.warn(
      { endpoint: endpointId, hubId: message.hubId, attempt: total },
      "previous delivery attempt may have reached the receiver; the receiver may get this message twice",
    );
  }
  const started = performance.now();
  const outcome = await deps.deliver(endpoint, {
    hubId: message.hubId,
    messageId: message.messageId,
    kind: message.kind,
    sourceEndpoint: message.sourceEndpoint,
    contentType: message.contentType,
    body: copy.data,
    attempt: total,
    ...(message.resend === undefined ? {} : { resend: message.resend }),
  });
  const durationMs = performance.now() - started;
  recordDeliveryAttempt(endpointId, outcome.ok ? "delivered" : "failed", durationMs / 1000);

  if (outcome.ok) {
    const at = new Date(deps.now());
    const record = { attempt: total, durationMs: Math.round(durationMs), at: at.toISOString(), copy: copy.seq };
    const marked = await guard("recording the delivery", () =>
      deps.state.markDelivered(endpointId, message.hubId, record, message.resend),
    );
    await guard("closing the circuit", () => deps.circuits.recordSuccess(endpointId, { raw: marked.circuit }));
    // Not beside the marker (decision 0108): issued from the marker's reply, the events of the deliveries answered
    // together leave in one NATS write; from each endpoint's own answer, each would be a write of its own.
    await deps.emit(deliveredEvent(message, endpointId, total, durationMs, at));
    return;
  }
  await failedAttempt(
    deps,
    message,
    outcome,
    { attempt, counted, total, limit },
    retryWindow(copy, endpoint, deps.policy),
  );
}

/** When a copy's retry budget ends: `retryWindowSeconds` (capped by the policy) after OUTBOX stored it. */
function retryWindow(
  copy: OutboxCopy,
  endpoint: Endpoint,
  policy: DispatchPolicy,
): { deadline: number; seconds: number } {
  const ms = Math.min(endpoint.retryWindowSeconds * 1000, policy.retryWindowCapMs);
  return { deadline: copy.storedAtMs + ms, seconds: Math.round(ms / 1000) };
}

async function failedAttempt(
  deps: EndpointDispatchDeps,
  message: OutboxHeaders,
  outcome: Extract<DeliveryOutcome, { ok: false }>,
  counts: { attempt: number; counted: number; total: number; limit: number | undefined },
  window: { deadline: number; seconds: number },
): Promise<never> {
  const endpointId = deps.endpointId;
  const now = deps.now();
  const record: AttemptRecord = {
    attempt: counts.total,
    at: new Date(now).toISOString(),
    code: outcome.code,
    message: outcome.message,
  };
  // An attempt that got no answer in time may have arrived (a slow receiver): it does not use up the attempt limit.
  const timedOut = outcome.code === DISPATCH_ERROR_CODES.timeout;
  const counted = timedOut ? counts.counted - 1 : counts.counted;
  const attemptsUsedUp = counts.limit !== undefined && counted >= counts.limit;
  const windowPassed = now >= window.deadline;
  const lastAttempt = !outcome.retryable || attemptsUsedUp || windowPassed;
  // Exponential with jitter, at least what the endpoint asked for, and never past the window's end: the last
  // attempt is made at the deadline rather than the message waiting beyond it.
  const delay = lastAttempt
    ? 0
    : Math.min(
        deps.policy.maxWaitMs,
        window.deadline - now,
        Math.max(backoffDelayMs(counts.attempt, deps.policy.backoff, deps.random), outcome.retryAfterMs ?? 0),
      );
  await guard("recording the attempt", () =>
    deps.state.recordFailedAttempt(
      endpointId,
      message.hubId,
      record,
      now + delay,
      outcome.mayHaveArrived === true,
      timedOut,
    ),
  );
  // An endpoint that answers at all is up: only faults of the endpoint count towards its circuit. The attempt is
  // recorded, so its event goes beside the circuit's update (decision 0108).
  await Promise.all([
    guard("updating the circuit", async () => {
      if (outcome.endpointFault) await deps.circuits.recordFailure(endpointId);
      else await deps.circuits.recordSuccess(endpointId);
    }),
    emitBestEffort(
      deps,
      deliveryFailedEvent(
        message,
        endpointId,
        counts.total,
        { code: outcome.code, message: outcome.message },
        lastAttempt ? undefined : delay,
        new Date(now),
      ),
    ),
  ]);
  if (!outcome.retryable) return deadLetter(deps, message, { code: outcome.code, message: outcome.message });
  if (attemptsUsedUp) {
    return deadLetter(deps, message, {
      code: DISPATCH_ERROR_CODES.attemptsExhausted,
      message: `all ${counts.limit} attempts failed; the last: ${outcome.message}`,
    });
  }
  if (lastAttempt) {
    return deadLetter(deps, message, {
      code: DISPATCH_ERROR_CODES.retryWindowPassed,
      message: `not delivered within the retry window of ${window.seconds} s (${counts.attempt} attempts); the last: ${outcome.message}`,
    });
  }
  deps.logger?.debug(
    { endpoint: endpointId, hubId: message.hubId, attempt: counts.total, code: outcome.code, retryInMs: delay },
    "delivery attempt failed",
  );
  throw new DeliveryWait(WAIT_CODES.backoff, `attempt ${counts.total} failed: ${outcome.message}`, delay);
}

/** Marks the message dead at this receiver (what must follow it gives up) and hands it to the DLQ. */
async function deadLetter(
  deps: EndpointDispatchDeps,
  message: OutboxHeaders,
  reason: { code: string; message: string },
): Promise<never> {
  const endpointId = deps.endpointId;
  const history = await guard("reading the attempt history", () => deps.state.history(endpointId, message.hubId));
  await guard("recording the dead letter", () => deps.state.markDeadLettered(endpointId, message.hubId, reason));
  throw new DeliveryDeadLetter(endpointId, reason, history);
}

/**
 * A lost `delivery-failed` event must not cost the message its backoff: the attempt is already recorded
 * in Redis (and written to the dead letter's history), so the event is best effort.
 */
async function emitBestEffort(deps: EndpointDispatchDeps, event: Parameters<EventSink>[0]): Promise<void> {
  try {
    await deps.emit(event);
  } catch (error) {
    deps.logger?.warn({ err: error, eventId: event.eventId }, "lifecycle event not published");
  }
}

/** Redis trouble is a reason to wait, never to count an attempt or give up. */
async function guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof CarehubError) throw error;
    throw new DispatchStateUnavailableError(operation, { cause: error });
  }
}

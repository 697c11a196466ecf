import {
  buildNegativeAcknowledgement,
  keepHubAcknowledgement,
  type NegativeAcknowledgement,
  planNegativeAcknowledgement,
  sendAcknowledgement,
  storedAcknowledgement,
} from "@carehub/acknowledgements";
import { type Bus, followerTarget, type InboundMessage, retryDelayMs, type SenderOrder, type Turn } from "@carehub/bus";
import type { Claim, MessageLedger } from "@carehub/ledger";
import { type Logger, recordRejection } from "@carehub/observability";
import type { EndpointRegistry, RegistrySource } from "@carehub/registry";
import {
  CarehubError,
  type Endpoint,
  type Envelope,
  type EventOf,
  type ParseResult,
  type PartialMessage,
  retentionSeconds,
  type ValidationIssue,
} from "@carehub/schemas";
import type { Redis } from "ioredis";
import { buildEnvelope } from "./build-envelope.ts";
import { identify, rawIngress, readIngressMessage } from "./ingress-message.ts";
import {
  INTAKE_ERROR_CODES,
  IntakeDeadLetterError,
  IntakeStoreUnavailableError,
  IntakeWaitingForEarlierError,
} from "./intake-errors.ts";
import { duplicateEvent, type EventSubject, receivedEvent, rejectedEvent } from "./intake-events.ts";
import { checkHubSource, checkSource } from "./source-check.ts";

/**
 * Intake's reading of a message (readMessage of @carehub/formats): the full parse, and the header read the gateway
 * admits by (readMessageIdentity), which names the message — with the format detected once for both.
 */
export type ReadFunction = (
  bytes: Uint8Array,
  options: { contentType?: string },
) => { parsed: ParseResult; identity: Pick<PartialMessage, "messageId"> };

export interface IntakeHandlerDeps {
  bus: Pick<Bus, "publish" | "publishJson" | "publishEvent" | "topology">;
  redis: Pick<Redis, "set">;
  /** The message ledger: the hub id of each message, and its claim (packages/ledger). */
  ledger: Pick<MessageLedger, "hubIdOf" | "claim" | "repeatAnswer">;
  registry: RegistrySource;
  read: ReadFunction;
  /** How long message-id and acknowledgement keys are kept (the read model's retention). */
  retentionDays: number;
  clock?: () => Date;
  logger?: Logger;
  /**
   * The record of finished INGRESS messages (SenderOrder of @carehub/bus). A correction or retraction goes to
   * PIPELINE only once every earlier message of its sender is finished, so that its original is there before it
   * even when the original was held by an intake that crashed (it comes back only after the ack wait) or by another
   * copy of intake. start-intake.ts marks each message finished.
   */
  order?: Pick<SenderOrder, "earlierOfSenderSettled" | "waiting">;
}

/**
 * How long a waiting correction waits before each next look, by delivery count (the last entry repeats): about a
 * second for the first 30 deliveries (past INGRESS's 30 s ack wait, after which an original a crashed intake held
 * comes back), then 5 s, so that INTAKE_MAX_DELIVER deliveries last about two minutes. It waits for its own
 * sender's unfinished messages only, and not for other waiting corrections, so waits do not chain into a convoy.
 */
export const EARLIER_WAIT_MS: readonly number[] = [200, 400, 800, ...Array<number>(27).fill(1_000), 5_000];

const UNKNOWN_CONTENT_TYPE = "application/octet-stream";

/**
 * Intake's handler: `readAhead(delivery)` reads the message and sends its ledger claim at once, and gives the rest
 * of its handling, to be run in its sender's turn; calling the handler itself does both in one go.
 */
export interface IntakeHandler {
  (delivery: InboundMessage, turn?: Turn): Promise<void>;
  /**
   * Reads the message and sends its claim now, before its sender's earlier messages have had their turn, so that a
   * backlog of few senders is not one claim round trip per message per sender (docs/decisions/0129). Called in the
   * order the consumer hands messages over (INGRESS's, but for a claim-checked message, handed over once its payload
   * is fetched: its claim may follow a later message's, its turn does not, 0134), the claims reach Redis on one
   * connection in that order, so of two copies of one message in hand the one handed over first is the first copy.
   * Nothing is published, and no event or answer sent, before the returned rest runs; a failure of the reading or
   * the claim is thrown by it, not here.
   */
  readAhead(delivery: InboundMessage): (turn?: Turn) => Promise<void>;
}

/**
 * Handles one INGRESS message: parse, check who sent it, then either publish the canonical envelope to
 * PIPELINE or reject it (a `rejected` event with every issue, and a negative acknowledgement to the sender
 * through its OUTBOX). Every publish has a deterministic dedup id and every Redis write is SET NX, so a
 * redelivery after a crash at any point repeats nothing. Redis or NATS trouble throws a retryable error
 * (the bus naks with backoff); a message no one can be told about is dead-lettered (its bytes stay in INGRESS).
 */
export function createIntakeHandler(deps: IntakeHandlerDeps): IntakeHandler {
  const { bus } = deps;
  const clock = deps.clock ?? (() => new Date());
  const ingressPrefix = `${bus.topology.namespace}.ingress.`;
  const expiry = retentionSeconds(deps.retentionDays);

  /**
   * The reading and the claim: everything up to the first step another message of the sender may see. The registry
   * snapshot is taken here, as the claim needs the sender's endpoint; the rest of the handling checks against the
   * same one.
   */
  const readAndClaim = async (delivery: InboundMessage) => {
    const arrival = readIngressMessage(rawIngress(delivery, clock()), ingressPrefix);
    const registry = deps.registry.current();
    const contentType = arrival.contentType === undefined ? {} : { contentType: arrival.contentType };
    // The message id that names the message comes from the header read, as at the gateway (and in the dead-letter
    // hook): the gateway's answer and intake then agree on the hub id even when the rest of the message is
    // broken. On every message the full parse accepts, both readings agree (read-identity.test.ts, the corpus).
    const {
      parsed,
      identity: { messageId },
    } = deps.read(arrival.bytes, contentType);
    const kind = parsed.ok ? parsed.message.kind : parsed.partial.kind;
    const hubId = deps.ledger.hubIdOf({ endpoint: arrival.sourceEndpoint, messageId }, arrival) ?? "";
    const ingress = identify(arrival, hubId, deps.logger);
    const subject: EventSubject = { ingress, messageId, kind };
    const source = sourceOf(ingress.sourceEndpoint, registry);
    // No `received` event for a message that reaches PIPELINE: the tracker's fold of its envelope makes the
    // timeline's `received` entry (same event id, receive time). Only a message no envelope follows gets one.
    const received = () => publishEvent(bus, receivedEvent(subject, UNKNOWN_CONTENT_TYPE));
    const claim =
      source === undefined || messageId === undefined
        ? undefined
        : await redisCall(() => deps.ledger.claim({ endpoint: source.id, messageId, kind }, ingress));
    return { registry, parsed, ingress, subject, source, received, claim };
  };

  /** The rest, in the sender's turn: an envelope on PIPELINE, or a repeat's or a rejection's events and answer. */
  const handle = async (delivery: InboundMessage, read: Awaited<ReturnType<typeof readAndClaim>>, turn?: Turn) => {
    const { registry, parsed, ingress, subject, source, received, claim } = read;
    // The time its events and answer carry: of its turn, not of its read-ahead.
    const now = clock();
    if (source === undefined) {
      await received();
      const issue = {
        code: INTAKE_ERROR_CODES.unknownSource,
        path: "(transport)",
        message: `endpoint ${ingress.sourceEndpoint} is not in the registry`,
      };
      await publishRejection(bus, rejectedEvent(subject, [issue], now));
      throw new IntakeDeadLetterError(issue.code, issue.message);
    }
    if (claim?.repeat) {
      await received();
      await handleRepeat(subject, claim, source.endpoint, deps, now);
      return;
    }
    const issues = !parsed.ok
      ? atLeastOne(parsed.issues)
      : source.endpoint === undefined
        ? checkHubSource(parsed.message, registry.hub, registry)
        : checkSource(parsed.message, source.endpoint, registry);
    if (parsed.ok && issues.length === 0) {
      const envelope = buildEnvelope(parsed.message, ingress, UNKNOWN_CONTENT_TYPE);
      await waitForEarlier(envelope, delivery, deps);
      const published = bus.publishJson(bus.topology.subjects.pipeline(envelope.kind), envelope, {
        msgId: ingress.hubId,
        headers: {
          "Carehub-Hub-Id": ingress.hubId,
          "Carehub-Kind": envelope.kind,
          "Carehub-Source-Endpoint": source.id,
        },
      });
      // Sent: the sender's next message may go (its publish goes out after this one); this one finishes, and its
      // INGRESS copy is acked, only once JetStream has acknowledged it.
      turn?.passTurn();
      await published;
      deps.logger?.debug({ hubId: ingress.hubId, kind: envelope.kind, warnings: parsed.warnings.length }, "accepted");
      return;
    }
    await received();
    await publishRejection(bus, rejectedEvent(subject, issues, now));
    if (source.endpoint === undefined) {
      // Nobody to answer: the hub made it. A bug of the hub's own, kept in the DLQ for an operator.
      throw new IntakeDeadLetterError(
        INTAKE_ERROR_CODES.hubMessageRejected,
        `a message the hub made itself was rejected: ${issues.map((i) => i.code).join(", ")}`,
      );
    }
    const message = parsed.ok ? parsed.message : parsed.partial;
    const plan = planNegativeAcknowledgement({
      originalHubId: ingress.hubId,
      message,
      source: source.endpoint,
      hub: registry.hub,
      issues,
    });
    if ("reason" in plan) {
      if (plan.reason === "is-acknowledgement") {
        deps.logger?.info({ hubId: ingress.hubId, codes: issues.map((i) => i.code) }, "rejected an acknowledgement");
        return;
      }
      throw new IntakeDeadLetterError(
        INTAKE_ERROR_CODES.unanswerable,
        `rejected; no acknowledgement possible: ${plan.detail}`,
      );
    }
    const built = storedAcknowledgement(
      buildAnswer(() => buildNegativeAcknowledgement(plan, now)),
      registry.hub.id,
    );
    // Kept for duplicates before it is sent (a crashed earlier attempt's answer wins).
    const answer = await redisCall(() =>
      keepHubAcknowledgement(deps.redis, bus.topology.namespace, ingress.hubId, built, expiry),
    );
    await sendAcknowledgement(bus, answer, source.endpoint.id);
    deps.logger?.info({ hubId: ingress.hubId, ackHubId: answer.hubId, codes: issues.map((i) => i.code) }, "rejected");
  };

  const readAhead = (delivery: InboundMessage) => {
    const claimed = readAndClaim(delivery);
    // Its rejection is thrown by the rest, which may start only after this one settles (its sender's turn).
    claimed.catch(() => undefined);
    return async (turn?: Turn) => handle(delivery, await claimed, turn);
  };
  return Object.assign((delivery: InboundMessage, turn?: Turn) => readAhead(delivery)(turn), { readAhead });
}

/**
 * A correction or retraction (by link, or an OIOXML corrected lab result, which names only its sample) waits until
 * every earlier INGRESS message of its sender is finished, without a time bound: it never passes an original that
 * is still on its way (docs/decisions/0075-correction-waits-for-its-sender.md).
 */
async function waitForEarlier(envelope: Envelope, delivery: InboundMessage, deps: IntakeHandlerDeps): Promise<void> {
  const order = deps.order;
  const target = followerTarget(envelope);
  if (order === undefined || target === undefined) return;
  // The INGRESS subject names the sender (the gateway publishes for the authenticated endpoint only).
  const follower = { seq: delivery.seq, sender: delivery.subject, messageId: envelope.messageId, target };
  const delay = retryDelayMs(delivery.deliveryCount, EARLIER_WAIT_MS);
  let done: boolean;
  try {
    done = await order.earlierOfSenderSettled(follower);
    if (!done) await order.waiting(follower);
  } catch (error) {
    throw new IntakeWaitingForEarlierError(delay, { cause: error });
  }
  // The bus naks it for that long (passing its sender's turn).
  if (!done) throw new IntakeWaitingForEarlierError(delay);
}

/**
 * Who put a message on INGRESS, by its subject: a registered endpoint, or the hub itself. Only the hub
 * publishes on `<ns>.ingress.<hub id>` (the gateway publishes for authenticated endpoints only, and an
 * endpoint on NATS may publish only to its own ingress subject), so that subject is trusted as the hub.
 */
function sourceOf(id: string, registry: EndpointRegistry): { id: string; endpoint?: Endpoint } | undefined {
  if (id === registry.hub.id) return { id };
  const endpoint = registry.byId(id);
  return endpoint === undefined ? undefined : { id, endpoint };
}

function atLeastOne(issues: ValidationIssue[]): ValidationIssue[] {
  return issues.length > 0
    ? issues
    : [{ code: INTAKE_ERROR_CODES.unanswerable, path: "(input)", message: "the message could not be read" }];
}

async function publishEvent(
  bus: IntakeHandlerDeps["bus"],
  event: { type: string; eventId: string },
): Promise<{ duplicate: boolean }> {
  return bus.publishEvent(event);
}

/**
 * The one place intake counts a rejection: when its `rejected` event is first stored. A redelivered message
 * publishes the same event id again, which JetStream reports as a duplicate, so it is not counted twice.
 */
async function publishRejection(bus: IntakeHandlerDeps["bus"], event: EventOf<"rejected">): Promise<void> {
  const stored = await publishEvent(bus, event);
  const codes = event.issues.map((issue) => issue.code);
  if (!stored.duplicate) recordRejection("intake", codes);
}

/**
 * A message id this endpoint used before, stored again on INGRESS (an endpoint publishing on NATS itself, or a
 * repeat the gateway could not see): not processed again; the first copy's answer goes again, renewed under
 * ids of this copy (the ledger's), so a redelivery sends it once.
 */
async function handleRepeat(
  subject: EventSubject,
  repeat: Extract<Claim, { repeat: true }>,
  source: Endpoint | undefined,
  deps: IntakeHandlerDeps,
  now: Date,
): Promise<void> {
  const { bus } = deps;
  await publishEvent(bus, duplicateEvent(subject, repeat.first.hubId, now));
  if (source === undefined) return; // the hub's own message: nobody to answer
  // Read in its turn, not with its claim (sent ahead of the turn): a first copy just before it in hand keeps its
  // answer in its own turn, which has ended by now (docs/decisions/0129). Repeats are rare: one read each.
  const answer = await redisCall(() => deps.ledger.repeatAnswer(repeat.first.hubId, subject.kind, repeat.copy));
  if (answer === undefined) return; // nothing to send (an acknowledgement, or a first copy not answered)
  await sendAcknowledgement(bus, answer, source.id);
}

/** Builds the negative acknowledgement; one that cannot be built leaves the message unanswerable. */
function buildAnswer(build: () => NegativeAcknowledgement): NegativeAcknowledgement {
  try {
    return build();
  } catch (error) {
    const reason = error instanceof CarehubError ? `${error.code}: ${error.message}` : String(error);
    throw new IntakeDeadLetterError(
      INTAKE_ERROR_CODES.unanswerable,
      `the negative acknowledgement could not be built (${reason})`,
      { cause: error },
    );
  }
}

async function redisCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new IntakeStoreUnavailableError("Redis is not reachable", { cause: error });
  }
}

import {
  buildNegativeAcknowledgement,
  encodeStoredAcknowledgement,
  keepHubAcknowledgement,
  type NegativeAcknowledgement,
  planNegativeAcknowledgement,
  type StoredAcknowledgement,
  sendAcknowledgement,
  storedAcknowledgement,
} from "@carehub/acknowledgements";
import {
  type Bus,
  followerTarget,
  formatPayloadReference,
  HEADER,
  type InboundMessage,
  isJetStreamNotFound,
  type OutboxReferencePolicy,
  retryDelayMs,
  type SenderOrder,
  type StoredMessage,
} from "@carehub/bus";
import { KEPT_ACKNOWLEDGEMENT_MAX_BYTES, translationIds } from "@carehub/ledger";
import { type Logger, recordRejection } from "@carehub/observability";
import type { EndpointRegistry, RegistrySource } from "@carehub/registry";
import type { Envelope, ValidationIssue } from "@carehub/schemas";
import { CarehubError, CONTENT_TYPES, RetryableError } from "@carehub/schemas";
import type { EntityReader } from "@carehub/store";
import type { Redis } from "ioredis";
import {
  letterRoutedEvent,
  type RefusedCopy,
  type TranslatedCopy,
  translatedEvent,
  translateForDeliveries,
  translationRefusedEvent,
  wantsTranslation,
} from "./databank-translation.ts";
import { loadRouteFacts, planFactLookups, receiverMarks, redisFactReader, writeReceiverMarks } from "./route-facts.ts";
import {
  type AcknowledgementMatch,
  type AddressedDeliveries,
  addressedDeliveries,
  type RouteDelivery,
  type RouteFacts,
  resolveRoute,
} from "./route-resolver.ts";
import { acknowledgedEvent, type RouterEvent, rejectedEvent, routedEvent } from "./router-events.ts";
import type { RouterKeys } from "./router-keys.ts";
import { PayloadMissingError, ROUTER_ERROR_CODES, RouterStateUnavailableError } from "./routing-errors.ts";
import { statusPartyIssue } from "./status-party-gate.ts";

export interface RouteHandlerDeps {
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  keys: RouterKeys;
  /** How long routing facts (rcvd, routed, ack markers) are kept. */
  ttlSeconds: number;
  /** Deliveries of a correction that wait for its original to be routed before it goes without ordering. */
  originalGraceDeliveries: number;
  /** How long a waiting correction waits before each next look, by delivery count (the last entry repeats). */
  originalWaitMs: readonly number[];
  clock: () => Date;
  logger?: Logger | undefined;
  /** The read model's referrals, tasks and appointments, to refuse a status from an endpoint without a part. */
  entities?: EntityReader;
  /**
   * The record of finished PIPELINE messages (SenderOrder of @carehub/bus). A correction goes only once every
   * earlier message of its sender is routed, rejected or dead-lettered: its original, put on PIPELINE before it,
   * may be held by a router that crashed or by another copy, and an OIOXML correction cannot even tell that an
   * original exists until it is routed. start-router.ts marks each message finished.
   */
  order?: Pick<SenderOrder, "earlierOfSenderSettled" | "waiting">;
  /** How long a correction waiting for earlier messages waits before each next look (the last entry repeats). */
  earlierWaitMs?: readonly number[];
  /**
   * When a receiver's copy may name the INGRESS copy instead of carrying the bytes (docs/decisions/0109); absent:
   * every copy carries them.
   */
  references?: Pick<OutboxReferencePolicy, "allows">;
}

/**
 * A correction whose original is known but not routed yet waits for it (it is usually a moment behind). A
 * planned wait: it says when to look again (`retryInMs`), so the bus naks it for that long and logs it at debug.
 */
export class WaitingForOriginalError extends RetryableError {
  readonly retryInMs: number;
  constructor(originalHubId: string | undefined, retryInMs: number) {
    super(
      ROUTER_ERROR_CODES.waitingForOriginal,
      originalHubId === undefined
        ? "waiting for the messages before it on PIPELINE to be routed first"
        : `waiting for the original ${originalHubId} to be routed first`,
    );
    this.name = "WaitingForOriginalError";
    this.retryInMs = retryInMs;
  }
}

/**
 * Routes one PIPELINE envelope. Every step is idempotent (dedup ids on every publish, SET on every
 * marker), so a crash anywhere means the message comes back and is routed to the same result.
 */
export function createRouteHandler(deps: RouteHandlerDeps): (message: InboundMessage<Envelope>) => Promise<void> {
  return async (message) => {
    const envelope = message.body;
    const order = deps.order;
    const target = followerTarget(envelope);
    if (order !== undefined && target !== undefined) {
      // Without a time bound: it never passes an original still on its way; waiting corrections of other things
      // do not hold it (docs/decisions/0075-correction-waits-for-its-sender.md).
      const follower = {
        seq: message.seq,
        sender: senderOfPipeline((name) => message.headers[name]) ?? envelope.sourceEndpoint,
        messageId: envelope.messageId,
        target,
      };
      const settled = await state("reading the router's progress", async () => {
        const done = await order.earlierOfSenderSettled(follower);
        if (!done) await order.waiting(follower);
        return done;
      });
      if (!settled) {
        const schedule = deps.earlierWaitMs ?? deps.originalWaitMs;
        throw new WaitingForOriginalError(undefined, retryDelayMs(message.deliveryCount, schedule));
      }
    }
    const registry = deps.registry.current();
    const lookups = planFactLookups(envelope, registry);
    // Facts first, in the facts' round trip: the receivers the message addresses are marked as holding it before
    // any copy is published (decision 0102); those a rule or a letter adds are marked in route().
    const addressed = addressedDeliveries(envelope, registry);
    const marked = addressedReceivers(envelope, registry, addressed);
    const { messageId } = envelope;
    const marks = receiverMarks(
      deps.keys,
      marked.map((endpoint) => ({ endpoint, messageId })),
      deps.ttlSeconds,
    );
    const facts = await state("reading routing facts", () =>
      loadRouteFacts(redisFactReader(deps.redis), deps.keys, envelope, lookups, marks),
    );
    // A correction, or an acknowledgement, of a known message not routed yet waits for it: it is usually a
    // moment behind (and an acknowledgement is judged by whom the hub routed the original to).
    const unrouted = unroutedOriginal(facts);
    if (unrouted !== undefined && message.deliveryCount <= deps.originalGraceDeliveries) {
      throw new WaitingForOriginalError(unrouted, retryDelayMs(message.deliveryCount, deps.originalWaitMs));
    }
    const entities = deps.entities;
    const notAParty =
      entities === undefined
        ? undefined
        : await state("reading the parties of a status", () => statusPartyIssue(envelope, registry, entities));
    if (notAParty !== undefined) {
      await reject(envelope, [notAParty], true, registry, deps);
      return;
    }
    const decision = resolveRoute(envelope, registry, facts, addressed);
    if (decision.outcome === "reject") {
      await reject(envelope, decision.issues, decision.answerSender, registry, deps);
      return;
    }
    const copies = await translations(envelope, decision.deliveries, registry, deps);
    if (copies.rejection !== undefined) {
      await reject(envelope, [copies.rejection], true, registry, deps);
      return;
    }
    decision.notes.push(...copies.notes);
    const refusals = copies.refused.flatMap(
      (refused) => translationRefusedEvent(envelope, refused, deps.clock()) ?? [],
    );
    await route(envelope, copies, decision.acknowledges, deps, marked, refusals);
    if (decision.notes.length > 0) {
      deps.logger?.info({ hubId: envelope.hubId, kind: envelope.kind, notes: decision.notes }, "routing notes");
    }
  };
}

/**
 * The endpoints marked as holding the message with its facts' read: those it addresses (never its own sender, whose
 * markers the facts read, nor one that gets a translated letter instead), none when an addressee would reject it.
 * A message rejected later (a refused fact, a status from a stranger, a missing payload) leaves these marks: they
 * only ever make the hub think a receiver holds a message id, which can refuse more (a loop, a correction of
 * someone else's), never less (decision 0102).
 */
function addressedReceivers(
  envelope: Envelope,
  registry: EndpointRegistry,
  { deliveries, issues }: AddressedDeliveries,
): string[] {
  if (issues.length > 0) return [];
  // A receiver that gets a letter the hub makes holds the letter's id, not this one: marked in route().
  return deliveries
    .map((d) => d.endpoint)
    .filter((endpoint) => endpoint !== envelope.sourceEndpoint && !wantsTranslation(envelope, registry.byId(endpoint)));
}

/** Who put a PIPELINE message there for: intake's `Carehub-Source-Endpoint` header. */
export function senderOfPipeline(header: (name: string) => string | undefined): string | undefined {
  return header("Carehub-Source-Endpoint");
}

function unroutedOriginal(facts: RouteFacts): string | undefined {
  if (facts.original !== undefined && facts.original.routedTo === undefined) return facts.original.hubId;
  if (facts.acknowledgedHubId !== undefined && facts.acknowledgedRoutedTo === undefined) return facts.acknowledgedHubId;
  return undefined;
}

/**
 * Splits the deliveries into the message's own bytes and the letters the hub makes for receivers that want
 * another format (a lab databank: docs/databank-mapping.md). A refused translation leaves a rule's copy out (with a
 * note naming the code); for a receiver the message addressed itself it rejects the message, so the sender learns.
 */
async function translations(
  envelope: Envelope,
  deliveries: RouteDelivery[],
  registry: EndpointRegistry,
  deps: RouteHandlerDeps,
): Promise<{
  deliveries: RouteDelivery[];
  letters: TranslatedCopy[];
  refused: RefusedCopy[];
  notes: string[];
  raw?: StoredMessage;
  rejection?: ValidationIssue;
}> {
  if (!deliveries.some((d) => wantsTranslation(envelope, registry.byId(d.endpoint)))) {
    return { deliveries, letters: [], refused: [], notes: [] };
  }
  const raw = await payloadOf(envelope, deps.bus);
  const { letters, refused } = translateForDeliveries(envelope, deliveries, registry, raw.data, deps.clock());
  const addressed = refused.find((r) => r.delivery.via === "addressed");
  if (addressed !== undefined) {
    const { code, message } = addressed.refusal;
    return { deliveries, letters: [], refused: [], notes: [], raw, rejection: { code, path: "Bundle", message } };
  }
  for (const letter of letters) {
    const original = letter.delivery.after;
    if (original === undefined) continue;
    // The original's letter, when the hub made one for this receiver; else the original went as received.
    const originalLetter = translationIds(original, letter.delivery.endpoint).hubId;
    const made = await state("reading the original's letter", () => isRouted(deps, originalLetter));
    letter.after = made ? originalLetter : original;
  }
  const changed = new Set([...letters, ...refused].map((c) => c.delivery.endpoint));
  return {
    deliveries: deliveries.filter((d) => !changed.has(d.endpoint)),
    letters,
    refused,
    notes: refused.map((r) => `no letter for ${r.delivery.endpoint}: ${r.refusal.code}`),
    raw,
  };
}

async function route(
  envelope: Envelope,
  copies: { deliveries: readonly RouteDelivery[]; letters: readonly TranslatedCopy[]; raw?: StoredMessage },
  acknowledges: AcknowledgementMatch | undefined,
  deps: RouteHandlerDeps,
  marked: readonly string[],
  refusals: readonly RouterEvent[],
): Promise<void> {
  const { bus, keys } = deps;
  const { deliveries, letters, raw: fetched } = copies;
  // The copies name the INGRESS copy when it outlives them (docs/decisions/0109): the router then need not read it.
  const reference = deliveries.length > 0 ? await referenceOf(envelope, deps) : undefined;
  const needsBytes = (deliveries.length > 0 && reference === undefined) || acknowledges?.originalHubId !== undefined;
  const raw = fetched ?? (needsBytes ? await payloadOf(envelope, bus) : undefined);
  const payload: CopyPayload | undefined =
    reference !== undefined ? { reference } : raw === undefined ? undefined : { bytes: raw.data };

  if ((deliveries.length > 0 && payload !== undefined) || letters.length > 0) {
    // Facts first: once a receiver can have the message, the hub must know it received it (loop rule).
    // The addressed receivers were marked with the facts' read; a rule's copy or a letter is marked here.
    const markers = receiverMarks(
      keys,
      [
        ...deliveries
          .filter((d) => !marked.includes(d.endpoint))
          .map((d) => ({ endpoint: d.endpoint, messageId: envelope.messageId })),
        ...letters.map((l) => ({ endpoint: l.delivery.endpoint, messageId: l.ids.letterId })),
      ],
      deps.ttlSeconds,
    );
    if (markers.keys.length > 0) {
      await state("recording receivers", () => writeReceiverMarks(deps.redis, markers));
    }
    await Promise.all([
      ...(payload === undefined ? [] : deliveries.map((delivery) => publishCopy(envelope, delivery, payload, bus))),
      ...letters.map((letter) => publishLetter(envelope, letter, bus)),
    ]);
  }
  // The route marker, the acknowledgement's relay and the events go side by side, once every copy is stored
  // (decision 0108): none of them is read before another, and a crash between them redelivers the message,
  // which routes to the same result under the same ids. The marker waits for the copies: a correction routed on
  // it is ordered after them.
  const at = deps.clock();
  const events: RouterEvent[] = [
    ...(deliveries.length > 0 ? [routedEvent(envelope, deliveries, at)] : []),
    ...letters.flatMap((letter) => [translatedEvent(envelope, letter, at), letterRoutedEvent(envelope, letter, at)]),
    ...refusals,
  ];
  const recorded = state("recording the route", async () => {
    // The source's route names the translated receivers too: a correction's letter is ordered after the original's.
    const endpoints = [...deliveries, ...letters.map((l) => l.delivery)].map((d) => d.endpoint);
    const writes = setRouted(deps, envelope.hubId, endpoints);
    for (const l of letters) writes.push(...setRouted(deps, l.ids.hubId, [l.delivery.endpoint]));
    const { content } = envelope;
    if (content.kind === "lab-result" && content.sampleId !== undefined) {
      writes.push(
        deps.redis.set(
          keys.labSample(envelope.sourceEndpoint, content.sampleId),
          envelope.hubId,
          "EX",
          deps.ttlSeconds,
        ),
      );
    }
    await Promise.all(writes);
  });
  await Promise.all([
    recorded,
    ...(acknowledges === undefined ? [] : [relayAcknowledgement(envelope, acknowledges, raw, deps)]),
    ...events.map((event) => emit(bus, event)),
  ]);
}

/**
 * A translated letter on the receiver's OUTBOX: under its own hub id and letter id, sent by the producing
 * practice, ordered after what the original became at that receiver (its letter, or its own bytes).
 */
async function publishLetter(envelope: Envelope, copy: TranslatedCopy, bus: Bus): Promise<void> {
  const { delivery, ids, after } = copy;
  await bus.publish(bus.topology.subjects.outbox(delivery.endpoint), copy.letter.bytes, {
    msgId: `${ids.hubId}:${delivery.endpoint}`,
    contentType: CONTENT_TYPES.oioxml,
    expectStream: bus.topology.streams.outbox,
    headers: {
      "Carehub-Hub-Id": ids.hubId,
      "Carehub-Source-Endpoint": envelope.sourceEndpoint,
      "Carehub-Message-Id": ids.letterId,
      "Carehub-Receiver": delivery.endpoint,
      "Carehub-Kind": "lab-result",
      "Carehub-Translated-From": envelope.hubId,
      ...(after === undefined ? {} : { "Carehub-After": after }),
    },
  });
}

/** The exact bytes as received, from the INGRESS archive. */
async function payloadOf(envelope: Envelope, bus: Bus): Promise<StoredMessage> {
  const { stream, seq } = envelope.payload;
  let stored: StoredMessage | null;
  try {
    stored = await bus.getMessage(stream, seq);
  } catch (error) {
    if (isJetStreamNotFound(error, "message") || isJetStreamNotFound(error, "stream")) {
      throw new PayloadMissingError(stream, seq, { cause: error });
    }
    throw new RouterStateUnavailableError(`reading ${stream} #${seq}`, { cause: error });
  }
  if (stored === null) throw new PayloadMissingError(stream, seq);
  return stored;
}

/** A copy's payload: the bytes as received, or a reference to their INGRESS copy (`Carehub-Payload-Ref`). */
type CopyPayload = { bytes: Uint8Array } | { reference: string };

const NO_BYTES = new Uint8Array(0);

/** The reference a copy of `envelope` carries, when the policy lets it go by reference (docs/decisions/0109). */
async function referenceOf(envelope: Envelope, deps: RouteHandlerDeps): Promise<string | undefined> {
  const policy = deps.references;
  if (policy === undefined || envelope.payload.stream !== deps.bus.topology.streams.ingress) return undefined;
  const allowed = await policy.allows(Date.parse(envelope.receivedAt));
  return allowed ? formatPayloadReference(envelope.payload) : undefined;
}

async function publishCopy(envelope: Envelope, delivery: RouteDelivery, payload: CopyPayload, bus: Bus): Promise<void> {
  const byReference = "reference" in payload;
  await bus.publish(bus.topology.subjects.outbox(delivery.endpoint), byReference ? NO_BYTES : payload.bytes, {
    msgId: `${envelope.hubId}:${delivery.endpoint}`,
    contentType: envelope.payload.contentType,
    expectStream: bus.topology.streams.outbox,
    headers: {
      "Carehub-Hub-Id": envelope.hubId,
      "Carehub-Source-Endpoint": envelope.sourceEndpoint,
      "Carehub-Message-Id": envelope.messageId,
      "Carehub-Receiver": delivery.endpoint,
      "Carehub-Kind": envelope.kind,
      ...(delivery.after === undefined ? {} : { "Carehub-After": delivery.after }),
      // A notification that is worthless after a time: the dispatcher dead-letters it then instead of delivering late.
      ...(envelope.content.kind === "notification" && envelope.content.expiresAt !== undefined
        ? { "Carehub-Expires": envelope.content.expiresAt }
        : {}),
      ...(byReference ? { [HEADER.payloadRef]: payload.reference } : {}),
    },
  });
}

/**
 * Matches an acknowledgement to the message it answers: keeps the relayed bytes for the gateway / intake
 * to send again when the original arrives again, and emits `acknowledged`. A transient error never
 * replaces a stored final answer; a final answer replaces a stored transient one.
 */
async function relayAcknowledgement(
  ack: Envelope,
  match: AcknowledgementMatch,
  raw: StoredMessage | undefined,
  deps: RouteHandlerDeps,
): Promise<void> {
  const originalHubId = match.originalHubId;
  if (originalHubId === undefined || raw === undefined) {
    deps.logger?.warn(
      { hubId: ack.hubId, endpoint: ack.sourceEndpoint, respondsTo: match.respondsTo, code: match.code },
      "acknowledgement of a message unknown to the hub: relayed without matching",
    );
    return;
  }
  // Without the relayed acknowledgement's own ids: a repeat's answer is renewed under ids of its own (0005), so they
  // are never read back, and they were 100 of a FHIR one's ~645 characters kept (an allocation size class, 128 B a
  // message: docs/decisions/0130). Its endpoint stays: the answer is sent as that endpoint's.
  const stored: StoredAcknowledgement = {
    contentType: ack.payload.contentType,
    base64: Buffer.from(raw.data).toString("base64"),
    sourceEndpoint: ack.sourceEndpoint,
  };
  const key = deps.keys.relayedAcknowledgement(originalHubId);
  const kept = encodeStoredAcknowledgement(stored);
  if (kept === undefined) {
    deps.logger?.warn(
      { hubId: ack.hubId, endpoint: ack.sourceEndpoint, originalHubId, bytes: raw.data.byteLength },
      `acknowledgement larger than ${KEPT_ACKNOWLEDGEMENT_MAX_BYTES} bytes: relayed, not kept (a repeat of its message goes unanswered)`,
    );
  }
  // The kept answer (read when the original arrives again) and the event (read by the tracker) side by side.
  await Promise.all([
    state("keeping the acknowledgement", async () => {
      if (kept === undefined) return;
      if (match.code === "transient-error") {
        await deps.redis.set(key, kept, "EX", deps.ttlSeconds, "NX");
      } else {
        await deps.redis.set(key, kept, "EX", deps.ttlSeconds);
      }
    }),
    emit(deps.bus, acknowledgedEvent(ack, { ...match, originalHubId }, deps.clock())),
  ]);
}

/**
 * A message that cannot be routed is rejected, never dropped: the sender gets a negative acknowledgement
 * (through its OUTBOX, like intake's) and a `rejected` event records every issue.
 */
async function reject(
  envelope: Envelope,
  issues: ValidationIssue[],
  answerSender: boolean,
  registry: EndpointRegistry,
  deps: RouteHandlerDeps,
): Promise<void> {
  const source = registry.byId(envelope.sourceEndpoint);
  if (answerSender && source !== undefined) {
    const plan = planNegativeAcknowledgement({
      originalHubId: envelope.hubId,
      message: envelope,
      source,
      hub: registry.hub,
      issues,
      // A refused acknowledgement is answered (the exception to MedCom KR2): its sender was not believed.
      answerAcknowledgement: answerSender,
    });
    if ("reason" in plan) {
      deps.logger?.warn({ hubId: envelope.hubId, reason: plan.reason }, "rejected message gets no acknowledgement");
    } else {
      const built = buildAnswer(envelope.hubId, () => buildNegativeAcknowledgement(plan, deps.clock()), deps);
      if (built !== undefined) {
        const value = storedAcknowledgement(built, registry.hub.id);
        // Kept for duplicates before it is sent (a crashed earlier attempt's answer wins).
        const answer = await state("keeping the answer", () =>
          keepHubAcknowledgement(deps.redis, deps.bus.topology.namespace, envelope.hubId, value, deps.ttlSeconds),
        );
        await sendAcknowledgement(deps.bus, answer, source.id);
      }
    }
  }
  const event = rejectedEvent(envelope, issues, deps.clock());
  // The rejection's marker and its event side by side (decision 0108); the answer above went first, so a reader
  // that sees the event finds the answer on the sender's OUTBOX.
  const [, stored] = await Promise.all([
    state("recording the rejection", () => Promise.all(setRouted(deps, envelope.hubId, []))),
    emit(deps.bus, event),
  ]);
  // Counted once, when the event is first stored (a redelivered envelope's repeat is a JetStream duplicate).
  const codes = event.issues.map((issue) => issue.code);
  if (!stored.duplicate) recordRejection("router", codes);
}

/** A builder that cannot answer must not block the rejection itself; the `rejected` event still records it. */
function buildAnswer(
  hubId: string,
  build: () => NegativeAcknowledgement,
  deps: RouteHandlerDeps,
): NegativeAcknowledgement | undefined {
  try {
    return build();
  } catch (error) {
    const code = error instanceof CarehubError ? error.code : "unknown";
    deps.logger?.error({ hubId, code }, "negative acknowledgement could not be built");
    return undefined;
  }
}

function emit(bus: Bus, event: RouterEvent): Promise<{ duplicate: boolean }> {
  return bus.publishEvent(event);
}

/**
 * The routed marker: a field of the message's marker hash (docs/decisions/0063), which lives the retention
 * period from its last write. Its two commands are issued together, without waiting in between, and leave in one
 * socket write with the turn's other commands (docs/decisions/0098, 0116), in this order on the one connection, as
 * the receivers' marks do (writeReceiverMarks): no pipeline object, which cost about 4 KiB of garbage per message
 * (ioredis builds each with a promise of its own and every defined script copied onto it by name) for a round trip
 * the held writes already save (docs/performance.md, "al21: less garbage per message"). Awaited together: any
 * failed command fails the step.
 */
function setRouted(
  deps: Pick<RouteHandlerDeps, "keys" | "ttlSeconds" | "redis">,
  hubId: string,
  endpoints: readonly string[],
): Promise<unknown>[] {
  const key = deps.keys.markers(hubId);
  return [
    deps.redis.hset(key, deps.keys.routedField, JSON.stringify(endpoints)),
    deps.redis.expire(key, deps.ttlSeconds),
  ];
}

/**
 * Whether a message was routed: its marker hash's field, or (until they expire) older releases' marker hash under
 * the whole hub id (0119) or own key.
 */
export async function isRouted(deps: Pick<RouteHandlerDeps, "keys" | "redis">, hubId: string): Promise<boolean> {
  const results = await deps.redis
    .pipeline()
    .hexists(deps.keys.markers(hubId), deps.keys.routedField)
    .hexists(deps.keys.formerMarkers(hubId), deps.keys.routedField)
    .exists(deps.keys.routed(hubId))
    .exec();
  if (results === null) throw new Error("the routed marker's pipeline was aborted");
  for (const [error] of results) if (error) throw error;
  return results.some(([, count]) => Number(count) > 0);
}

/** Redis trouble means: try the whole message again later (every step is idempotent). */
async function state<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof CarehubError) throw error;
    throw new RouterStateUnavailableError(operation, { cause: error });
  }
}

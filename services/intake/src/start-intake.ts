import { type Bus, INGRESS_CONSUMER, type InboundMessage, SenderOrder, type Turn } from "@carehub/bus";
import { readMessage, readMessageIdentity } from "@carehub/formats";
import { MessageLedger } from "@carehub/ledger";
import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { CarehubError } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { type IngressMessage, identify, rawIngress, readIngressMessage } from "./ingress-message.ts";
import { deadLetteredEvent, receivedEvent } from "./intake-events.ts";
import { createIntakeHandler, type ReadFunction } from "./intake-handler.ts";
import { DEFAULT_INTAKE_OPTIONS } from "./intake-options.ts";

/**
 * Deliveries of an INGRESS message before it is dead-lettered. Higher than the bus default (10) so that a
 * correction waiting for its sender's earlier messages (EARLIER_WAIT_MS, about two minutes over these deliveries)
 * far outlasts the ack wait; other retryable failures (Redis down) are retried on the bus's default schedule for
 * longer too.
 */
const INTAKE_MAX_DELIVER = 50;

export interface IntakeDeps {
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  /** How long message-id and acknowledgement keys are kept, in days (HubConfig.retentionDays). */
  retentionDays: number;
  logger?: Logger;
  /** Default: readMessage from @carehub/formats. */
  read?: ReadFunction;
  clock?: () => Date;
  /**
   * Messages handled at once (default: DEFAULT_INTAKE_OPTIONS, CAREHUB_INTAKE_CONCURRENCY). Each sender's messages
   * are still taken one after another in INGRESS order (the INGRESS consumer's lanes, one per sender, a claim-checked
   * message's place taken before its payload is fetched: 0134); different senders do not wait for each other. A
   * correction is kept behind its original by SenderOrder (0075), not by this.
   */
  concurrency?: number;
  /**
   * Wraps the record of finished INGRESS messages a correction asks (SenderOrder of @carehub/bus); tests wrap it
   * to see a correction wait.
   */
  wrapOrder?: (order: SenderOrder) => Pick<SenderOrder, "earlierOfSenderSettled" | "waiting">;
  /** The INGRESS consumer's ack wait (tests; default the bus's, 30 s). */
  ackWaitMs?: number;
}

export interface RunningIntake {
  /** Stops pulling; messages in hand finish first. Does not close the bus or Redis. */
  stop(): Promise<void>;
}

/** Starts the durable consumer `intake` on INGRESS. Run more copies of the process to scale out. */
export async function startIntake(deps: IntakeDeps): Promise<RunningIntake> {
  const { bus } = deps;
  const clock = deps.clock ?? (() => new Date());
  const ledger = new MessageLedger({
    redis: deps.redis,
    namespace: bus.topology.namespace,
    retentionDays: deps.retentionDays,
    hubEndpointId: deps.registry.current().hub.id,
    clock,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  });
  const order = new SenderOrder({
    jsm: bus.jsm,
    redis: deps.redis,
    namespace: bus.topology.namespace,
    stream: bus.topology.streams.ingress,
    durable: INGRESS_CONSUMER,
    senderOf: (stored) => stored.subject,
  });
  const handle = createIntakeHandler({
    bus,
    redis: deps.redis,
    ledger,
    registry: deps.registry,
    read: deps.read ?? readMessage,
    retentionDays: deps.retentionDays,
    clock,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    order: deps.wrapOrder?.(order) ?? order,
  });
  // Finished (its effects stored): a correction of its sender may then go on. The mark is written with others a
  // moment later (docs/decisions/0088-finished-marks-in-batches.md).
  const handler = async (message: InboundMessage, rest: (turn?: Turn) => Promise<void>, turn?: Turn) => {
    await rest(turn);
    order.finished(message.seq);
  };
  const concurrency = deps.concurrency ?? DEFAULT_INTAKE_OPTIONS.concurrency;
  const consumer = await bus.consume({
    stream: bus.topology.streams.ingress,
    durable: INGRESS_CONSUMER,
    filterSubject: bus.topology.subjects.all.ingress,
    stage: "intake",
    concurrency,
    maxDeliver: INTAKE_MAX_DELIVER,
    ...(deps.ackWaitMs === undefined ? {} : { ackWaitMs: deps.ackWaitMs }),
    // The INGRESS subject names the sender (NATS permissions bind it): one lane per sender, its next message's turn
    // once the previous one has called its PIPELINE publish. The consumer owns the lanes: a message takes its place
    // as it arrives, before a claim-checked payload is fetched, so a sender's messages take their turns in INGRESS
    // order (0134); one waiting its turn extends its ack deadline (no redelivery for waiting). A message is read and
    // its claim sent as soon as it is handed over (its payload in hand), the rest waits for its turn (0129).
    laneOf: (subject) => subject,
    handler: (message, place) => {
      const rest = handle.readAhead(message);
      const task = (turn?: Turn) => handler(message, rest, turn);
      return place === undefined ? task() : place.run(task);
    },
    onDeadLetter: async (message: InboundMessage, error: CarehubError) => {
      const ingress = ingressOrUndefined(message, bus, ledger, clock());
      if (ingress === undefined) return;
      // No envelope follows a dead-lettered message: its `received` (size, content type) comes from here if the
      // handler did not publish it (the same event id: stored once).
      await bus.publishEvent(receivedEvent({ ingress }, "application/octet-stream"));
      const event = deadLetteredEvent(
        { ingress },
        { code: error.code, message: error.message },
        message.deliveryCount,
        clock(),
      );
      await bus.publishEvent(event);
    },
  });
  deps.logger?.info({ stream: bus.topology.streams.ingress, concurrency }, "intake consuming");
  return {
    stop: async () => {
      await consumer.stop();
      // A mark not written now is only a longer wait for a correction (until the ack floor passes its message).
      await order.flush().catch(() => undefined);
    },
  };
}

/** The dead-lettered message under the hub id the handler gave it (its header read again: no full parse). */
function ingressOrUndefined(
  message: InboundMessage,
  bus: Bus,
  ledger: MessageLedger,
  now: Date,
): IngressMessage | undefined {
  try {
    const arrival = readIngressMessage(rawIngress(message, now), `${bus.topology.namespace}.ingress.`);
    const contentType = arrival.contentType === undefined ? {} : { contentType: arrival.contentType };
    const { messageId } = readMessageIdentity(arrival.bytes, contentType);
    const hubId = ledger.hubIdOf({ endpoint: arrival.sourceEndpoint, messageId }, arrival);
    return hubId === undefined ? undefined : identify(arrival, hubId);
  } catch {
    return undefined;
  }
}

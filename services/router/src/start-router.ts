import type { Bus, InboundMessage } from "@carehub/bus";
import { hubJsonDecoder, OutboxReferencePolicy, SenderOrder } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { CarehubError, HubConfig, MessageKind } from "@carehub/schemas";
import { ConfigError, Envelope, MESSAGE_KINDS, outboxByReferenceProblem, retentionSeconds } from "@carehub/schemas";
import { createEntityReader } from "@carehub/store";
import type { Redis } from "ioredis";
import { createRouteHandler, senderOfPipeline } from "./route-message.ts";
import { routerDeadLetteredEvent } from "./router-events.ts";
import { routerKeys } from "./router-keys.ts";
import { DEFAULT_ROUTER_OPTIONS } from "./router-options.ts";

export interface RouterDeps {
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  /** How long routing facts are kept, in days (HubConfig.retentionDays). */
  retentionDays: number;
  /**
   * Whether copies may go by reference (`outboxByReference`, default off: every copy inline) and the hub's size
   * budget (`streamMaxBytes`), which may not be set with it (docs/decisions/0109).
   */
  config?: Partial<Pick<HubConfig, "streamMaxBytes" | "outboxByReference">>;
  logger?: Logger;
  clock?: () => Date;
  /** Envelopes routed at once (default: DEFAULT_ROUTER_OPTIONS, CAREHUB_ROUTER_CONCURRENCY). */
  concurrency?: number;
  /** Wraps the record of finished PIPELINE messages a correction asks; tests wrap it to see a correction wait. */
  wrapOrder?: (order: SenderOrder) => Pick<SenderOrder, "earlierOfSenderSettled" | "waiting">;
}

export interface RunningRouter {
  /** Stops pulling; envelopes in hand finish first. Does not close the bus or Redis. */
  stop(): Promise<void>;
}

/** A correction waits this many deliveries (about 8 s on the schedule below) for its original to be routed. */
const ORIGINAL_GRACE_DELIVERIES = 8;
const BACKOFF_MS = [100, 200, 400, 800, 1_600, 3_200];
/**
 * A correction waiting for its sender's earlier messages looks again this often: about a second for the first 20
 * deliveries (past ACK_WAIT_MS, after which an envelope a crashed router held comes back), then 5 s, so that
 * MAX_DELIVER deliveries last about a minute.
 */
const EARLIER_WAIT_MS = [100, 200, 400, 800, ...Array<number>(16).fill(1_000), 5_000];
const MAX_DELIVER = 30;
/** Routing one envelope takes milliseconds: a crashed router's envelopes come back after this. */
const ACK_WAIT_MS = 10_000;
const DURABLE = "router";
const KINDS: ReadonlySet<string> = new Set(MESSAGE_KINDS);

/** Starts the durable consumer `router` on PIPELINE. Run more copies of the process to scale out. */
export async function startRouter(deps: RouterDeps): Promise<RunningRouter> {
  const { bus } = deps;
  // Before anything starts: a refused configuration leaves nothing running.
  const references = referencePolicy(bus, deps.config);
  const clock = deps.clock ?? (() => new Date());
  const order = new SenderOrder({
    jsm: bus.jsm,
    redis: deps.redis,
    namespace: bus.topology.namespace,
    stream: bus.topology.streams.pipeline,
    durable: DURABLE,
    senderOf: (stored) => senderOfPipeline(stored.header),
  });
  const route = createRouteHandler({
    bus,
    redis: deps.redis,
    registry: deps.registry,
    keys: routerKeys(bus.topology.namespace),
    ttlSeconds: retentionSeconds(deps.retentionDays),
    originalGraceDeliveries: ORIGINAL_GRACE_DELIVERIES,
    originalWaitMs: BACKOFF_MS,
    earlierWaitMs: EARLIER_WAIT_MS,
    clock,
    logger: deps.logger,
    entities: createEntityReader(deps.redis, bus.topology.namespace),
    order: deps.wrapOrder?.(order) ?? order,
    ...(references === undefined ? {} : { references }),
  });
  // Finished (routed or rejected): a correction of its sender may then go on. The mark is written with others a
  // moment later (docs/decisions/0088-finished-marks-in-batches.md).
  const handler = async (message: InboundMessage<Envelope>) => {
    await route(message);
    order.finished(message.seq);
  };
  const concurrency = deps.concurrency ?? DEFAULT_ROUTER_OPTIONS.concurrency;
  const consumer = await bus.consume<Envelope>({
    stream: bus.topology.streams.pipeline,
    durable: DURABLE,
    filterSubject: bus.topology.subjects.all.pipeline,
    stage: "router",
    // Intake's envelopes of the current version are taken as they are; others are validated (decoders.ts).
    decode: hubJsonDecoder((value) => Envelope.parse(value)),
    concurrency,
    maxDeliver: MAX_DELIVER,
    backoffMs: BACKOFF_MS,
    ackWaitMs: ACK_WAIT_MS,
    handler,
    onDeadLetter: async (message: InboundMessage<Envelope>, error: CarehubError) => {
      const event = routerDeadLetteredEvent(
        subjectOf(message),
        { code: error.code, message: error.message.slice(0, 1024) },
        message.deliveryCount,
        clock(),
      );
      await bus.publishEvent(event);
    },
  });
  deps.logger?.info({ stream: bus.topology.streams.pipeline, concurrency }, "router consuming");
  return {
    stop: async () => {
      await consumer.stop();
      // A mark not written now is only a longer wait for a correction (until the ack floor passes its message).
      await order.flush().catch(() => undefined);
    },
  };
}

/** What the dead letter is about: the envelope when it decoded, else the PIPELINE headers. */
function subjectOf(message: InboundMessage<Envelope>) {
  const body = message.body as Partial<Envelope> | Uint8Array;
  if (!(body instanceof Uint8Array) && typeof body.hubId === "string") {
    return { hubId: body.hubId, messageId: body.messageId, sourceEndpoint: body.sourceEndpoint, kind: body.kind };
  }
  const kind = message.headers["Carehub-Kind"];
  return {
    hubId: message.headers["Carehub-Hub-Id"] ?? message.msgId ?? `${message.stream}:${message.seq}`,
    ...(kind !== undefined && KINDS.has(kind) ? { kind: kind as MessageKind } : {}),
  };
}

/**
 * The router's OUTBOX-by-reference policy when the setting is on, else none (every copy inline). A size budget with
 * it is refused here too, for a router given its config without `parseHubConfig` (docs/decisions/0109).
 */
function referencePolicy(bus: Bus, config: RouterDeps["config"]): OutboxReferencePolicy | undefined {
  if (config?.outboxByReference !== true) return undefined;
  const settings = { outboxByReference: true, streamMaxBytes: config.streamMaxBytes ?? 0 };
  const problem = outboxByReferenceProblem(settings);
  if (problem !== undefined) throw new ConfigError([problem]);
  return new OutboxReferencePolicy(bus, { sizeBudgetBytes: settings.streamMaxBytes });
}

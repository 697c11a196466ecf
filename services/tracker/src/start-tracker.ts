import { type Bus, hubJsonDecoder, KeyedOrder, type RunningConsumer } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import { Envelope, type HubConfig, LifecycleEvent } from "@carehub/schemas";
import { createStore, type MessageChange, type ReadModelStore, type StaleLimits } from "@carehub/store";
import type { Redis } from "ioredis";
import { carryOutEffects } from "./effects.ts";
import { businessOrderKeys, foldEnvelope, recordOnlyChange } from "./envelope-handler.ts";
import { EventBatcher } from "./event-batcher.ts";
import { foldChanges } from "./event-handler.ts";
import { sizeRetention } from "./size-retention.ts";
import { type RunningTimers, startTimers } from "./timer-poller.ts";
import { DEFAULT_TRACKER_OPTIONS, type TrackerOptions } from "./tracker-options.ts";

export interface ReadModelDeps {
  redis: Redis;
  config: Pick<HubConfig, "namespace" | "retentionDays" | "patientHashKey">;
  registry: RegistrySource;
  staleLimits?: StaleLimits;
  clock?: () => Date;
}

/**
 * The read model as the tracker writes it: acknowledgement timeouts come from the registry (read at each
 * write, so a reload applies to the next delivery; none for a kind that expects no acknowledgement), stale limits from the tracker options. The query side
 * (gateway) may build its store with the same function.
 */
export function createReadModel(deps: ReadModelDeps): ReadModelStore {
  const clock = deps.clock;
  return createStore({
    redis: deps.redis,
    namespace: deps.config.namespace,
    retentionDays: deps.config.retentionDays,
    patientHashKey: deps.config.patientHashKey,
    ackTimeoutMs: (endpoint, kind) => deps.registry.current().acknowledgementTimeoutMs(endpoint, kind),
    staleLimits: deps.staleLimits ?? DEFAULT_TRACKER_OPTIONS.staleLimits,
    ...(clock === undefined ? {} : { now: () => clock().getTime() }),
  });
}

export interface TrackerDeps {
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  config: Pick<HubConfig, "namespace" | "retentionDays" | "patientHashKey"> &
    Partial<Pick<HubConfig, "streamMaxBytes">>;
  options?: Partial<TrackerOptions> & { ackWaitMs?: number };
  logger?: Logger;
  clock?: () => Date;
}

export interface RunningTracker {
  readonly store: ReadModelStore;
  /** Runs one timer poll now (tests; the poller also runs on its own). */
  pollTimers(): Promise<number>;
  /** Stops consuming (in-flight messages finish and are acked) and stops the timers. */
  stop(): Promise<void>;
}

/** Durable consumer names (one per stream; every tracker copy shares them). */
export const TRACKER_CONSUMERS = { events: "tracker", pipeline: "tracker-status" } as const;

/**
 * Starts the tracker: the durable consumer `tracker` folds every lifecycle event into the read model (the
 * events it has in hand together in one batch), the durable consumer `tracker-status` folds every envelope (NATS 2.9
 * has no multi-subject filters, so it takes all of PIPELINE; kinds without a business status only enrich the message
 * record, in the events' batches; the envelopes that carry business facts are folded one at a time per referral,
 * task or appointment they read or write, in the stream's order), and the timer poller raises ack-overdue and stale.
 * A message is acked only after its store write: a crash means redelivery, and redelivery is harmless. Store and
 * NATS trouble is retried without limit (the read model must not lose a status because Redis was down for a while);
 * only what can never be read is dead-lettered.
 */
export async function startTracker(deps: TrackerDeps): Promise<RunningTracker> {
  const options = { ...DEFAULT_TRACKER_OPTIONS, ...deps.options };
  const clock = deps.clock ?? (() => new Date());
  const { bus, registry, logger } = deps;
  const store = createReadModel({ ...deps, staleLimits: options.staleLimits, clock });
  const common = {
    // Acks are not confirmed: a lost ack means a redelivery, which folds to nothing (0093); a confirmation
    // would only log it, at the price of a reply from the server per event and per envelope.
    confirmAcks: false,
    maxDeliver: Number.POSITIVE_INFINITY,
    backoffMs: [250, 500, 1_000, 2_000, 5_000],
    concurrency: options.concurrency,
    ...(deps.options?.ackWaitMs === undefined ? {} : { ackWaitMs: deps.options.ackWaitMs }),
  };
  const effectDeps = { bus, store, registry, clock, ...(logger === undefined ? {} : { logger }) };
  // The events in hand at once are folded together, with the envelope in hand when it changes only its
  // message's record: one store call per batch instead of one per event and envelope.
  const changes = new EventBatcher<MessageChange>((batch) => foldChanges(store, batch), options.concurrency);
  // PIPELINE's envelopes in hand at once are many (statusConcurrency), so the record-only ones fill the batches;
  // those that update a referral, task or appointment wait here for the earlier ones about the same referral or
  // task, in the order they came (the turn passed when the fold settles).
  const businessFacts = new KeyedOrder({ ackWaitMs: deps.options?.ackWaitMs, logger, stage: "tracker-status" });
  const consumers: RunningConsumer[] = [];
  try {
    consumers.push(
      await bus.consume<LifecycleEvent>({
        ...common,
        stream: bus.topology.streams.events,
        durable: TRACKER_CONSUMERS.events,
        filterSubject: bus.topology.subjects.all.events,
        stage: "tracker",
        // The hub's own events at the current schema version are not validated again (docs/decisions/0020).
        decode: hubJsonDecoder((value) => LifecycleEvent.parse(value)),
        handler: (message) => changes.fold({ event: message.body }),
      }),
    );
    consumers.push(
      await bus.consume<Envelope>({
        ...common,
        stream: bus.topology.streams.pipeline,
        durable: TRACKER_CONSUMERS.pipeline,
        filterSubject: bus.topology.subjects.all.pipeline,
        stage: "tracker-status",
        concurrency: options.statusConcurrency,
        decode: hubJsonDecoder((value) => Envelope.parse(value)),
        handler: (message) => {
          const current = registry.current();
          const envelopeDeps = { hubEndpointId: current.hub.id, resolver: current };
          const recordOnly = recordOnlyChange(message.body, envelopeDeps);
          if (recordOnly !== undefined) return changes.fold(recordOnly);
          return businessFacts.run(
            businessOrderKeys(message.body),
            () =>
              foldEnvelope(
                { ...envelopeDeps, store, carryOut: (state) => carryOutEffects(effectDeps, state) },
                message.body,
              ),
            // While it waits behind earlier envelopes, its ack deadline is extended (no redelivery for waiting).
            () => message.working(),
          );
        },
      }),
    );
  } catch (error) {
    await Promise.allSettled(consumers.map((c) => c.stop()));
    throw error;
  }
  const trimStreams = sizeRetention({
    bus,
    store,
    maxBytes: deps.config.streamMaxBytes ?? 0,
    ...(logger === undefined ? {} : { logger }),
  });
  const timers: RunningTimers = startTimers(
    {
      bus,
      store,
      ...(trimStreams === undefined ? {} : { trimStreams }),
      staleLimits: options.staleLimits,
      acknowledgementExpected: (kind) => registry.current().acknowledgementExpected(kind),
      clock,
      ...(logger === undefined ? {} : { logger }),
    },
    { pollMs: options.timerPollMs, leaseMs: options.timerLeaseMs, sweepIntervalMs: options.sweepIntervalMs },
  );
  logger?.info({ namespace: deps.config.namespace, concurrency: options.concurrency }, "tracker started");
  return {
    store,
    pollTimers: () => timers.pollOnce(),
    async stop() {
      await timers.stop();
      await Promise.allSettled(consumers.map((c) => c.stop()));
    },
  };
}

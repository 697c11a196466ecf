import { createHash } from "node:crypto";
import type { Bus, InboundMessage, RunningConsumer } from "@carehub/bus";
import { DEFAULT_READ_MODEL_RETENTION_DAYS, messageRetention, sweepClaimChecks } from "@carehub/bus";
import { type Logger, recordDeadLetter } from "@carehub/observability";
import type { EndpointRegistry, RegistrySource } from "@carehub/registry";
import { type CarehubError, type Endpoint, retentionSeconds } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { CircuitStore } from "./circuit-store.ts";
import type { DeliveryOutcome } from "./delivery-outcome.ts";
import { DeliveryState } from "./delivery-state.ts";
import { DeliveryDeadLetter } from "./dispatch-errors.ts";
import { type DispatchEvent, deadLetteredEvent } from "./dispatch-events.ts";
import { dispatchKeys } from "./dispatch-keys.ts";
import { DEFAULT_DISPATCHER_OPTIONS, type DispatcherOptions } from "./dispatcher-config.ts";
import { dispatchOne, type EndpointDispatchDeps } from "./endpoint-dispatch.ts";
import { type DeliveryMessage, deliverOverHttp } from "./http-delivery.ts";
import { deliverToInbox } from "./nats-delivery.ts";
import { type OutboxHeaders, readOutboxHeaders } from "./outbox-message.ts";

// The options live with their parsing (./dispatcher-config.ts), which the hub loads without the dispatcher.
export { DEFAULT_DISPATCHER_OPTIONS, type DispatcherOptions };

export interface DispatcherDeps {
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  /** The retention period (HubConfig.retentionDays): how long delivery state is kept, unless options say. */
  retentionDays?: number;
  logger?: Logger;
  options?: Partial<DispatcherOptions>;
  now?: () => number;
  random?: () => number;
}

export interface RunningDispatcher {
  /** Endpoint ids that have a running consumer. */
  endpoints(): string[];
  /** Checks the registry now: starts consumers for new endpoints and stops those of removed ones. */
  sync(): Promise<void>;
  /** Stops every consumer; in-flight deliveries finish first. */
  stop(): Promise<void>;
}

/** JetStream never gives up on a dispatcher message: the dispatcher counts real attempts itself. */
const UNLIMITED_DELIVERIES = Number.POSITIVE_INFINITY;
/**
 * Time allowed on top of an endpoint's HTTP timeout (for Redis and NATS work around the call) before
 * JetStream redelivers a message nobody answered for: short, so a crashed dispatcher's messages come back soon.
 */
const ACK_WAIT_MARGIN_MS = 10_000;

/**
 * How long the dispatcher's delivery markers live: the options' own figure, else the retention, else the default —
 * the one rule for the dispatcher and for a re-send outside it (the hub's `resend`), which writes the same markers.
 */
export function dispatcherStateTtlSeconds(
  options: Partial<Pick<DispatcherOptions, "stateTtlSeconds">> | undefined,
  retentionDays: number | undefined,
): number {
  return (
    options?.stateTtlSeconds ??
    (retentionDays === undefined ? DEFAULT_DISPATCHER_OPTIONS.stateTtlSeconds : retentionSeconds(retentionDays))
  );
}

/**
 * Starts the dispatcher: one durable consumer `dispatch-<endpoint>` per registered endpoint on the OUTBOX
 * stream, filtered to `<ns>.outbox.<endpoint>`, so a slow or dead endpoint only grows its own backlog.
 * Consumers follow the registry: added endpoints get one, removed endpoints' consumers stop (their durable
 * state stays, so nothing waiting for them is lost).
 */
export async function startDispatcher(deps: DispatcherDeps): Promise<RunningDispatcher> {
  const options: DispatcherOptions = {
    ...DEFAULT_DISPATCHER_OPTIONS,
    ...deps.options,
    stateTtlSeconds: dispatcherStateTtlSeconds(deps.options, deps.retentionDays),
  };
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { bus, redis, logger } = deps;
  const keys = dispatchKeys(bus.topology.namespace);
  const state = new DeliveryState(redis, keys, options.stateTtlSeconds);
  const circuits = new CircuitStore(redis, keys.circuit, options.circuit, now);
  const emit = async (event: DispatchEvent): Promise<void> => {
    await publishEvent(event);
  };
  /** Publishes an event; `duplicate` when JetStream already had its id (a redelivered message, counted once). */
  const publishEvent = (event: DispatchEvent) => bus.publishEvent(event);
  const deliver = (endpoint: Endpoint, message: DeliveryMessage): Promise<DeliveryOutcome> =>
    endpoint.delivery.mode === "http"
      ? deliverOverHttp(endpoint.delivery, message, {
          secrets: deps.registry.current().webhookSecrets(endpoint.id),
          at: now(),
        })
      : deliverToInbox(bus, endpoint.delivery.subject ?? bus.topology.subjects.inbox(endpoint.id), message);
  const warnUnsigned = unsignedEndpointWarning(logger);
  // Half the OUTBOX retention: a copy still waiting for its endpoint is dead-lettered long before JetStream drops it.
  const retryWindowCapMs = messageRetention(deps.retentionDays ?? DEFAULT_READ_MODEL_RETENTION_DAYS).outboxMaxAgeMs / 2;

  const running = new Map<string, RunningConsumer>();
  let stopped = false;
  let syncing: Promise<void> = Promise.resolve();

  const startEndpoint = async (endpoint: Endpoint): Promise<void> => {
    const endpointDeps: EndpointDispatchDeps = {
      endpointId: endpoint.id,
      endpoint: () => deps.registry.current().byId(endpoint.id),
      state,
      circuits,
      emit,
      deliver,
      policy: {
        backoff: options.backoff,
        predecessorPollMs: options.predecessorPollMs,
        maxWaitMs: options.maxWaitMs,
        retryWindowCapMs,
      },
      now,
      random,
      logger,
    };
    const timeoutMs = endpoint.delivery.mode === "http" ? endpoint.delivery.timeoutMs : 10_000;
    const consumer = await bus.consume({
      stream: bus.topology.streams.outbox,
      durable: dispatchDurableName(endpoint.id),
      filterSubject: bus.topology.subjects.outbox(endpoint.id),
      stage: "dispatcher",
      maxDeliver: UNLIMITED_DELIVERIES,
      backoffMs: options.pollScheduleMs,
      ackWaitMs: timeoutMs + ACK_WAIT_MARGIN_MS,
      maxAckPending: Math.max(options.concurrency * 4, 64),
      concurrency: options.concurrency,
      batch: Math.max(options.concurrency * 2, 16),
      // Plain acks: the `delivered` marker, written before the ack, is what keeps a delivery single; an ack that is
      // lost only brings the copy back to a check that finds the marker (docs/decisions/0090). A confirmed ack
      // would cost a reply message per delivery for a warning nobody can act on.
      confirmAcks: false,
      handler: (message: InboundMessage) => dispatchOne(message, endpointDeps),
      onDeadLetter: (message, error) => emitDeadLettered(publishEvent, endpoint.id, message, error, now),
    });
    running.set(endpoint.id, consumer);
    logger?.info({ endpoint: endpoint.id }, "dispatch consumer started");
  };

  const syncNow = async (): Promise<void> => {
    if (stopped) return;
    const registry = deps.registry.current();
    warnUnsigned(registry);
    const wanted = new Map(registry.endpoints().map((endpoint) => [endpoint.id, endpoint]));
    for (const [id, consumer] of running) {
      if (wanted.has(id)) continue;
      running.delete(id);
      await consumer.stop();
      logger?.info({ endpoint: id }, "dispatch consumer stopped: endpoint left the registry");
    }
    for (const endpoint of wanted.values()) {
      if (!running.has(endpoint.id) && !stopped) await startEndpoint(endpoint);
    }
  };
  const sync = (): Promise<void> => {
    syncing = syncing.then(syncNow, syncNow);
    return syncing;
  };

  await sync();
  const timer = setInterval(() => {
    sync().catch((error: unknown) => logger?.error({ err: error }, "dispatcher could not follow the registry"));
  }, options.registryPollMs);
  timer.unref();
  let sweeping: Promise<void> = Promise.resolve();
  const sweepTimer = setInterval(() => {
    sweeping = sweepClaimChecks(bus, { now }).then(
      (report) => {
        if (report.deleted > 0) logger?.info({ ...report }, "claim-checked payloads no message names any more deleted");
      },
      (error: unknown) => logger?.warn({ err: error }, "claim-check sweep failed; the next one tries again"),
    );
  }, options.claimCheckSweepMs);
  sweepTimer.unref();

  return {
    endpoints: () => [...running.keys()],
    sync,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      clearInterval(sweepTimer);
      await sweeping;
      await syncing.catch(() => undefined);
      const consumers = [...running.values()];
      running.clear();
      await Promise.all(consumers.map((consumer) => consumer.stop()));
    },
  };
}

/**
 * Unsigned webhook deliveries are allowed (docs/decisions/0010) but should not go unnoticed: warns once per
 * registry snapshot (each load or reload) that has HTTP endpoints without `delivery.signing`, naming them.
 */
function unsignedEndpointWarning(logger: Logger | undefined): (registry: EndpointRegistry) => void {
  let warnedVersion: string | undefined;
  return (registry) => {
    if (registry.version === warnedVersion) return;
    warnedVersion = registry.version;
    const unsigned = registry.unsignedHttpEndpoints();
    if (unsigned.length === 0) return;
    logger?.warn(
      { registryVersion: registry.version, unsignedEndpoints: unsigned },
      "webhook deliveries to these endpoints are not signed: add delivery.signing to their registry entries",
    );
  };
}

/** `dispatch-<endpoint>`, shortened with a hash when the endpoint id is too long for a durable name. */
export function dispatchDurableName(endpointId: string): string {
  const name = `dispatch-${endpointId}`;
  if (name.length <= 64) return name;
  const hash = createHash("sha256").update(endpointId).digest("hex").slice(0, 8);
  return `dispatch-${endpointId.slice(0, 45)}-${hash}`;
}

/**
 * Runs after the bus stored the dead letter: the `dead-lettered` event with the reason and attempt count, and
 * the dead-letter metric, counted only when the event is new (a redelivered dead letter publishes it again).
 */
async function emitDeadLettered(
  publishEvent: (event: DispatchEvent) => Promise<{ duplicate: boolean }>,
  endpointId: string,
  message: InboundMessage,
  error: CarehubError,
  now: () => number,
): Promise<void> {
  let headers: OutboxHeaders;
  try {
    headers = readOutboxHeaders(message.headers, endpointId);
  } catch {
    headers = {
      hubId: message.headers["Carehub-Hub-Id"] ?? `${message.stream}:${message.seq}`,
      sourceEndpoint: message.headers["Carehub-Source-Endpoint"] ?? "unknown",
      messageId: message.headers["Carehub-Message-Id"] ?? "unknown",
      receiver: endpointId,
      kind: message.headers["Carehub-Kind"] ?? "unknown",
      contentType: "application/octet-stream",
      redriveCount: 0,
    };
  }
  // The message of a DeliveryDeadLetter carries the reason and every attempt (time, code, message).
  const reason = {
    code: error instanceof DeliveryDeadLetter ? error.reason.code : error.code,
    message: error.message.slice(0, 2048),
  };
  const attempts = error instanceof DeliveryDeadLetter ? error.history.length : 0;
  const stored = await publishEvent(
    deadLetteredEvent(headers, endpointId, reason, attempts, message.seq, new Date(now())),
  );
  if (!stored.duplicate) recordDeadLetter(endpointId, reason.code);
}

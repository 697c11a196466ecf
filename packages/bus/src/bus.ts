import { activeTraceId, type Logger } from "@carehub/observability";
import type { PayloadKeyring, StreamReplicas } from "@carehub/schemas";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import {
  ClaimCheck,
  ensurePayloadBucket,
  type PayloadAtRest,
  payloadBucketAgeNanos,
  readStoredPayload,
} from "./claim-check.ts";
import { BusConsumer, type ConsumeSpec, type RunningConsumer } from "./consumer.ts";
import { BusConnectError } from "./errors.ts";
import { inlineMessageLimit, serverMaxPayload } from "./message-size.ts";
import { PayloadCipher } from "./payload-encryption.ts";
import { PayloadReferences } from "./payload-reference.ts";
import {
  type DurableConsumerSpec,
  ensureDurableConsumer,
  type ProvisionReport,
  provisionStreams,
} from "./provision.ts";
import { type PublishOptions, type PublishResult, publishMessage } from "./publisher.ts";
import { type RedriveOptions, readMessage, redriveDeadLetters, type StoredMessage } from "./redrive.ts";
import { resolveStreamReplicas } from "./replicas.ts";
import { coalesceNatsWrites } from "./socket-writes.ts";
import { type RetentionSettings, type Topology, topology } from "./topology.ts";

export interface ConnectBusOptions {
  servers: string | string[];
  /** Connection name shown by the server (service name and instance). */
  name: string;
  namespace?: string;
  user?: string;
  pass?: string;
  token?: string;
  logger?: Logger;
  /**
   * Keys that seal payloads at rest (HubConfig `payloadKeys`, newest first): INGRESS, PIPELINE, OUTBOX and DLQ
   * store them sealed, every read opens them. Default none: stored as they are.
   */
  payloadKeys?: PayloadKeyring;
}

export interface ProvisionOptions {
  /**
   * Copies of each stream: a count for all, or the hub's setting (CAREHUB_STREAM_REPLICAS, per class, `auto` = 1
   * on a single server and 3 on a cluster, judged from the connected server). Default `auto`. Existing streams
   * are raised to it, never lowered (the report's `kept`).
   */
  replicas?: number | StreamReplicas;
  retention?: Partial<RetentionSettings>;
  /**
   * CAREHUB_OUTBOX_BY_REFERENCE is on (docs/decisions/0109): shortening a live INGRESS's `max_age` below OUTBOX's
   * plus the reference margin is refused (BusProvisionError), as OUTBOX copies by reference would outlive their target.
   */
  outboxByReference?: boolean;
}

export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly topology: Topology;
  provision(options?: ProvisionOptions): Promise<ProvisionReport>;
  ensureConsumer(stream: string, config: DurableConsumerSpec): Promise<void>;
  publish(subject: string, data: Uint8Array | string, options: PublishOptions): Promise<PublishResult>;
  publishJson(
    subject: string,
    value: unknown,
    options: { msgId: string; headers?: Record<string, string> },
  ): Promise<PublishResult>;
  /**
   * Publishes a lifecycle event on `<ns>.events.<type>`, stored once per `eventId` (its Nats-Msg-Id). The
   * event carries the trace id of the message's trace: the one it names, else the active span's (the
   * consumer span a handler runs in continues the message's `traceparent`). The one place that stamps it.
   */
  publishEvent(event: LifecycleEventLike): Promise<PublishResult>;
  consume<T = Uint8Array>(spec: ConsumeSpec<T>): Promise<RunningConsumer>;
  /** One stored message by sequence, its payload opened. */
  getMessage(stream: string, seq: number): Promise<StoredMessage | null>;
  /**
   * The payload as sent of a message read from a stream without the bus (an ordered consumer, a direct get):
   * fetched when it went by claim check, opened when sealed, and for an OUTBOX entry (`stream` the one it was read
   * from) read through its payload reference; on any other stream, or `stream` not given, a reference header is not
   * followed. Throws the bus's payload, claim-check and payload-reference errors.
   */
  readPayload(message: { data: Uint8Array; headers?: MsgHdrs | undefined }, stream?: string): Promise<Uint8Array>;
  redrive(stage: string, options?: RedriveOptions): Promise<{ redriven: number }>;
  drain(): Promise<void>;
}

/** What `publishEvent` needs of an event (the EVENTS schemas in @carehub/schemas all have it). */
export interface LifecycleEventLike {
  type: string;
  eventId: string;
  traceId?: string | undefined;
}

const encoder = new TextEncoder();

/** Connects to NATS (reconnecting forever) and returns the bus for one namespace. */
export async function connectBus(options: ConnectBusOptions): Promise<Bus> {
  const topo = topology(options.namespace);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.servers,
      name: options.name,
      ...(options.user === undefined ? {} : { user: options.user }),
      ...(options.pass === undefined ? {} : { pass: options.pass }),
      ...(options.token === undefined ? {} : { token: options.token }),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      // Otherwise every request (each publish ack, each confirmed ack) captures a stack trace up front.
      noAsyncTraces: true,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BusConnectError(`could not connect to NATS (${[options.servers].flat().join(", ")}): ${reason}`, {
      cause: error,
    });
  }
  // What the bus writes in one event-loop turn leaves in one socket write (docs/decisions/0098, 0116).
  coalesceNatsWrites(nc);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const atRest: PayloadAtRest = {
    cipher: PayloadCipher.fromKeyring(options.payloadKeys ?? [], topo),
    claimCheck: new ClaimCheck(js, topo, inlineMessageLimit(serverMaxPayload(nc))),
  };
  const bus = new NatsBus(nc, js, jsm, topo, options.logger, atRest);
  // A reference is followed by the bus's own read of the INGRESS copy (direct get, opened; an INGRESS message's own
  // reference header is never followed), docs/decisions/0109.
  atRest.references = new PayloadReferences((stream, seq) => bus.getMessage(stream, seq), topo);
  bus.watchStatus();
  return bus;
}

class NatsBus implements Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly topology: Topology;
  readonly #logger: Logger | undefined;
  readonly #atRest: PayloadAtRest;
  readonly #consumers = new Set<BusConsumer<unknown>>();
  readonly #directStreams = new Map<string, Promise<boolean>>();
  #draining: Promise<void> | undefined;

  constructor(
    nc: NatsConnection,
    js: JetStreamClient,
    jsm: JetStreamManager,
    topo: Topology,
    logger: Logger | undefined,
    atRest: PayloadAtRest,
  ) {
    this.nc = nc;
    this.js = js;
    this.jsm = jsm;
    this.topology = topo;
    this.#logger = logger;
    this.#atRest = atRest;
  }

  watchStatus(): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    void (async () => {
      for await (const status of this.nc.status()) {
        if (status.type === "disconnect" || status.type === "reconnect" || status.type === "error") {
          logger.warn(
            { nats: status.type, server: "server" in status ? status.server : undefined },
            "NATS connection status",
          );
        }
      }
    })();
  }

  async provision(options: ProvisionOptions = {}): Promise<ProvisionReport> {
    const replicas = resolveStreamReplicas(options.replicas, this.nc.info);
    const configs = this.topology.streamConfigs({ ...options, replicas });
    const { ingress, outbox } = this.topology.streams;
    const report = await provisionStreams(
      this.jsm,
      configs,
      options.outboxByReference === true ? { ingress, outbox } : undefined,
    );
    // The claim-check bucket keeps objects as long as the streams that may point at them (claim-check.ts).
    await ensurePayloadBucket(this.js, this.jsm, this.topology.payloadBucket, {
      maxAgeNanos: payloadBucketAgeNanos(configs, this.topology),
      replicas: configs.find((c) => c.name === this.topology.streams.ingress)?.num_replicas ?? 1,
    });
    return report;
  }

  async ensureConsumer(stream: string, config: DurableConsumerSpec): Promise<void> {
    await ensureDurableConsumer(this.jsm, stream, config);
  }

  publish(subject: string, data: Uint8Array | string, options: PublishOptions): Promise<PublishResult> {
    return publishMessage(this.nc, subject, data, options, this.#atRest);
  }

  publishJson(
    subject: string,
    value: unknown,
    options: { msgId: string; headers?: Record<string, string> },
  ): Promise<PublishResult> {
    return publishMessage(
      this.nc,
      subject,
      encoder.encode(JSON.stringify(value)),
      { ...options, contentType: "application/json" },
      this.#atRest,
    );
  }

  publishEvent(event: LifecycleEventLike): Promise<PublishResult> {
    const traceId = event.traceId ?? activeTraceId();
    const stamped = traceId === undefined ? event : { ...event, traceId };
    return this.publishJson(this.topology.subjects.events(event.type), stamped, { msgId: event.eventId });
  }

  async consume<T = Uint8Array>(spec: ConsumeSpec<T>): Promise<RunningConsumer> {
    await ensureDurableConsumer(this.jsm, spec.stream, spec);
    const consumer = await this.js.consumers.get(spec.stream, spec.durable);
    const running = new BusConsumer<T>(spec, {
      nc: this.nc,
      js: this.js,
      logger: this.#logger,
      dlqSubject: (stage) => this.topology.subjects.dlq(stage),
      publish: (subject, data, options) => this.publish(subject, data, options),
      atRest: this.#atRest,
    });
    await running.start(consumer);
    this.#consumers.add(running as BusConsumer<unknown>);
    return {
      stop: async () => {
        await running.stop();
        this.#consumers.delete(running as BusConsumer<unknown>);
      },
      get processed() {
        return running.processed;
      },
    };
  }

  async getMessage(stream: string, seq: number): Promise<StoredMessage | null> {
    return readMessage(this.jsm, stream, seq, this.#atRest, {
      direct: (await this.#allowsDirect(stream)) ? this.nc : undefined,
      onDirectFailed: () => this.#directStreams.delete(stream),
    });
  }

  /** Whether `stream` answers direct gets, read from its config once (again after a direct get failed). */
  #allowsDirect(stream: string): Promise<boolean> {
    let known = this.#directStreams.get(stream);
    if (known === undefined) {
      known = this.jsm.streams.info(stream).then(
        (info) => info.config.allow_direct === true,
        () => {
          this.#directStreams.delete(stream);
          return false;
        },
      );
      this.#directStreams.set(stream, known);
    }
    return known;
  }

  readPayload(message: { data: Uint8Array; headers?: MsgHdrs | undefined }, stream?: string): Promise<Uint8Array> {
    const hdrs = message.headers;
    if (hdrs === undefined) return Promise.resolve(message.data);
    return readStoredPayload(this.#atRest, message.data, (name) => hdrs.get(name) || undefined, stream);
  }

  redrive(stage: string, options: RedriveOptions = {}): Promise<{ redriven: number }> {
    return redriveDeadLetters(
      {
        js: this.js,
        jsm: this.jsm,
        dlqStream: this.topology.streams.dlq,
        dlqSubject: this.topology.subjects.dlq(stage),
        publish: (subject, data, opts) => this.publish(subject, data, opts),
      },
      options,
    );
  }

  drain(): Promise<void> {
    this.#draining ??= (async () => {
      await Promise.allSettled([...this.#consumers].map((c) => c.stop()));
      this.#consumers.clear();
      if (!this.nc.isClosed()) await this.nc.drain();
    })();
    return this.#draining;
  }
}

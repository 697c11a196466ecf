import type { Bus } from "@carehub/bus";
import { cleanupTestNamespace, connectTestBus, connectTestRedis, testNamespace } from "@carehub/bus/testing";
import { MessageLedger } from "@carehub/ledger";
import { EndpointRegistry } from "@carehub/registry";
import type { Endpoint, Envelope, LifecycleEvent, RoutingRule } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { type RouterDeps, type RunningRouter, startRouter } from "../src/start-router.ts";
import { ENDPOINTS, envelope, HUB } from "./fixtures.ts";

export {
  cleanupTestNamespace,
  connectTestBus,
  connectTestRedis,
  sleep,
  testNamespace,
  waitFor,
} from "@carehub/bus/testing";

/** A message seen on a core NATS subscription. */
export interface SeenMessage {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
}

/** Records every message published under a subject pattern (core subscription: sees every publish). */
export class SubjectRecorder {
  readonly messages: SeenMessage[] = [];
  readonly #unsubscribe: () => void;

  constructor(bus: Bus, pattern: string) {
    const subscription = bus.nc.subscribe(pattern);
    void (async () => {
      for await (const message of subscription) {
        const headers: Record<string, string> = {};
        for (const [key, values] of message.headers ?? []) if (values[0] !== undefined) headers[key] = values[0];
        this.messages.push({ subject: message.subject, data: message.data, headers });
      }
    })();
    this.#unsubscribe = () => subscription.unsubscribe();
  }

  close(): void {
    this.#unsubscribe();
  }
}

export class EventCollector {
  readonly #recorder: SubjectRecorder;

  constructor(bus: Bus) {
    this.#recorder = new SubjectRecorder(bus, bus.topology.subjects.all.events);
  }

  get events(): LifecycleEvent[] {
    return this.#recorder.messages.map((m) => JSON.parse(new TextDecoder().decode(m.data)) as LifecycleEvent);
  }

  of<T extends LifecycleEvent["type"]>(type: T, hubId?: string): Extract<LifecycleEvent, { type: T }>[] {
    return this.events.filter(
      (e): e is Extract<LifecycleEvent, { type: T }> => e.type === type && (hubId === undefined || e.hubId === hubId),
    );
  }

  close(): void {
    this.#recorder.close();
  }
}

/**
 * The set-up the router's integration tests share, registered as the file's first beforeAll / last afterAll: a
 * fresh namespace on the real NATS and Redis with its lifecycle events and OUTBOX copies recorded, and a registry of
 * the fixture endpoints (each with a token of its own) and `rules`. After the file every router started through it
 * is stopped and the namespace's streams and keys are deleted. `bus`, `redis`, `events` and `outbox` are set once
 * the file's tests (and its own beforeAll) run.
 */
export class RouterTestbed {
  readonly ns: string;
  readonly registry: EndpointRegistry;
  bus!: Bus;
  redis!: Redis;
  events!: EventCollector;
  outbox!: SubjectRecorder;
  /** The message ledger on this namespace: `ingest` records each message's first copy through it, as the gateway does. */
  ledger!: MessageLedger;
  readonly #routers: RunningRouter[] = [];
  #counter = 0;

  constructor(ns: string, endpoints: readonly Endpoint[], rules: RoutingRule[]) {
    this.ns = ns;
    this.registry = EndpointRegistry.from({
      hub: HUB,
      endpoints: endpoints.map((endpoint, i) => ({
        ...endpoint,
        auth: { tokenSha256: [String(i + 1).padStart(64, "0")] },
      })),
      rules,
    });
    beforeAll(async () => {
      this.bus = await connectTestBus(ns);
      this.redis = connectTestRedis();
      this.ledger = new MessageLedger({ redis: this.redis, namespace: ns, retentionDays: 1, hubEndpointId: HUB.id });
      this.events = new EventCollector(this.bus);
      this.outbox = new SubjectRecorder(this.bus, this.bus.topology.subjects.all.outbox);
    });
    afterAll(async () => {
      this.events?.close();
      this.outbox?.close();
      for (const router of this.#routers) await router.stop();
      await cleanupTestNamespace(this.bus, this.redis, ns);
    });
  }

  /** A router on this namespace's bus, Redis and registry (routing facts kept a day), stopped after the file. */
  async router(options: Partial<Omit<RouterDeps, "bus" | "redis">> = {}): Promise<RunningRouter> {
    const router = await startRouter({
      bus: this.bus,
      redis: this.redis,
      registry: this.registry,
      retentionDays: 1,
      ...options,
    });
    this.#routers.push(router);
    return router;
  }

  /**
   * Puts the bytes on INGRESS and records its first copy through the ledger, as the gateway does; returns the envelope
   * (hub id `<ns>-h<n>`, message id `M<n>` unless `overrides` say).
   */
  ingest = async (overrides: Partial<Envelope>, bytes = "<letter/>"): Promise<Envelope> => {
    this.#counter += 1;
    const draft = envelope({ hubId: `${this.ns}-h${this.#counter}`, messageId: `M${this.#counter}`, ...overrides });
    const stored = await this.bus.publish(this.bus.topology.subjects.ingress(draft.sourceEndpoint), bytes, {
      msgId: draft.hubId,
      contentType: draft.payload.contentType,
    });
    await this.ledger.recordAdmitted(
      { endpoint: draft.sourceEndpoint, messageId: draft.messageId },
      draft.hubId,
      stored.seq,
    );
    return {
      ...draft,
      payload: { ...draft.payload, stream: stored.stream, seq: stored.seq, size: Buffer.byteLength(bytes) },
    };
  };

  /** Hands the envelope to the router on PIPELINE, as intake does (its hub id as the dedup id unless given). */
  toPipeline = async (message: Envelope, msgId = message.hubId): Promise<void> => {
    await this.bus.publish(this.bus.topology.subjects.pipeline(message.kind), JSON.stringify(message), {
      msgId,
      contentType: "application/json",
      headers: {
        "Carehub-Hub-Id": message.hubId,
        "Carehub-Kind": message.kind,
        "Carehub-Source-Endpoint": message.sourceEndpoint,
      },
    });
  };
}

/** The shared set-up of a router integration test file, in a fresh namespace named after `label`. */
export function routerTestbed(
  label: string,
  options: { endpoints?: readonly Endpoint[]; rules?: RoutingRule[] } = {},
): RouterTestbed {
  return new RouterTestbed(testNamespace(label), options.endpoints ?? Object.values(ENDPOINTS), options.rules ?? []);
}

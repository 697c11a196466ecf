import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Bus } from "@carehub/bus";
import { cleanupTestNamespace, connectTestBus, connectTestRedis, testNamespace, waitFor } from "@carehub/bus/testing";
import { EndpointRegistry } from "@carehub/registry";
import type { EndpointInput, LifecycleEvent } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import {
  type DispatcherDeps,
  type DispatcherOptions,
  dispatchDurableName,
  type RunningDispatcher,
  startDispatcher,
} from "../src/dispatcher.ts";

export {
  cleanupTestNamespace,
  connectTestBus,
  connectTestRedis,
  sleep,
  testNamespace,
  waitFor,
} from "@carehub/bus/testing";

/** A GLN with a correct GS1 mod-10 check digit. */
export function gln(first12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return `${first12}${(10 - (sum % 10)) % 10}`;
}

let endpointCounter = 0;
/** A registry endpoint with unique identifiers; pass the delivery and whatever else matters to the test. */
export function testEndpoint(id: string, overrides: Partial<EndpointInput> = {}): EndpointInput {
  endpointCounter += 1;
  const n = String(endpointCounter).padStart(4, "0");
  return {
    id,
    name: id,
    kind: "practice",
    identifiers: { sor: [`1000000000${n}`], gln: [gln(`57900001${n}`)] },
    sends: ["lab-result", "care-communication", "acknowledgement"],
    accepts: ["lab-result", "care-communication", "homecare-observation", "acknowledgement"],
    delivery: { mode: "nats" },
    auth: { tokenSha256: [randomBytes(32).toString("hex")] },
    ...overrides,
  };
}

export function testRegistry(endpoints: EndpointInput[], rules: unknown[] = []): EndpointRegistry {
  return EndpointRegistry.from({
    hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
    endpoints,
    rules,
  });
}

/** A registry the test can swap, like the file watcher does. */
export class SwappableRegistry {
  #current: EndpointRegistry;
  constructor(initial: EndpointRegistry) {
    this.#current = initial;
  }
  current(): EndpointRegistry {
    return this.#current;
  }
  set(next: EndpointRegistry): void {
    this.#current = next;
  }
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
  /** How the receiver answered. */
  answer?: number | "drop";
}

/** How a test receiver answers request number `n` (0-based): a status, after an optional delay; or `drop` the connection. */
export type ReceiverBehaviour = (n: number, request: ReceivedRequest) => { status: number; delayMs?: number } | "drop";

/** A real HTTP webhook receiver that records every request. */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  behaviour: ReceiverBehaviour;
  readonly #server: Server;
  #port = 0;

  private constructor(behaviour: ReceiverBehaviour) {
    this.behaviour = behaviour;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const request: ReceivedRequest = { headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
        const n = this.requests.length;
        this.requests.push(request);
        const answer = this.behaviour(n, request);
        request.answer = answer === "drop" ? "drop" : answer.status;
        if (answer === "drop") {
          req.socket.destroy();
          return;
        }
        const respond = () => {
          res.statusCode = answer.status;
          res.end();
        };
        if (answer.delayMs === undefined) respond();
        else setTimeout(respond, answer.delayMs);
      });
    });
  }

  static async start(behaviour: ReceiverBehaviour = () => ({ status: 202 })): Promise<TestReceiver> {
    const receiver = new TestReceiver(behaviour);
    await new Promise<void>((resolve) => receiver.#server.listen(0, "127.0.0.1", resolve));
    receiver.#port = (receiver.#server.address() as AddressInfo).port;
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/messages`;
  }

  /** Hub ids of the requests answered 2xx, in arrival order. */
  accepted(): string[] {
    return this.requests
      .filter((r) => typeof r.answer === "number" && r.answer >= 200 && r.answer < 300)
      .map((r) => String(r.headers["carehub-hub-id"]));
  }

  hubIds(): string[] {
    return this.requests.map((r) => String(r.headers["carehub-hub-id"]));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Collects every lifecycle event of a namespace from a core NATS subscription. */
export class EventCollector {
  readonly events: LifecycleEvent[] = [];
  readonly #unsubscribe: () => void;

  constructor(bus: Bus) {
    const subscription = bus.nc.subscribe(bus.topology.subjects.all.events);
    void (async () => {
      for await (const message of subscription) this.events.push(message.json<LifecycleEvent>());
    })();
    this.#unsubscribe = () => subscription.unsubscribe();
  }

  of<T extends LifecycleEvent["type"]>(type: T, hubId?: string): Extract<LifecycleEvent, { type: T }>[] {
    return this.events.filter(
      (e): e is Extract<LifecycleEvent, { type: T }> => e.type === type && (hubId === undefined || e.hubId === hubId),
    );
  }

  close(): void {
    this.#unsubscribe();
  }
}

/**
 * Puts one copy on `<ns>.outbox.<endpoint>` with the OUTBOX contract headers, as the router would (hub id `id`,
 * message id `msg-<id>`, source `sender-x`, kind lab-result; an XML body unless given; `headers` added to them);
 * returns its OUTBOX sequence.
 */
export async function toOutbox(
  bus: Bus,
  endpoint: string,
  id: string,
  options: {
    after?: string;
    body?: string | Uint8Array;
    contentType?: string;
    expires?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<number> {
  const { seq } = await bus.publish(bus.topology.subjects.outbox(endpoint), options.body ?? `<message id="${id}"/>`, {
    msgId: `${id}:${endpoint}`,
    contentType: options.contentType ?? "application/xml",
    headers: {
      "Carehub-Hub-Id": id,
      "Carehub-Source-Endpoint": "sender-x",
      "Carehub-Message-Id": `msg-${id}`,
      "Carehub-Receiver": endpoint,
      "Carehub-Kind": "lab-result",
      ...(options.after === undefined ? {} : { "Carehub-After": options.after }),
      ...(options.expires === undefined ? {} : { "Carehub-Expires": options.expires }),
      ...options.headers,
    },
  });
  return seq;
}

/** An endpoint's webhook delivery to a test receiver (5 s timeout unless given). */
export function httpDelivery(receiver: TestReceiver, timeoutMs = 5_000) {
  return { delivery: { mode: "http" as const, url: receiver.url, timeoutMs } };
}

/**
 * A dispatcher's timings under test: backoffs, predecessor waits and registry polls in tens of milliseconds, so a
 * retry or a registry change shows within a test's time. Tests spread it and override what they are about.
 */
export const FAST_DISPATCH: Partial<DispatcherOptions> = {
  backoff: { initialMs: 40, factor: 2, maxMs: 160, jitter: 0.5 },
  predecessorPollMs: 40,
  pollScheduleMs: [40, 80],
  concurrency: 4,
  registryPollMs: 100,
};

/**
 * The set-up every dispatcher integration test shares, registered as the file's first beforeAll / last afterAll: a
 * fresh namespace on the real NATS and Redis with its lifecycle events collected; after the file, every dispatcher
 * and receiver started through it is stopped and the namespace's streams and keys are deleted.
 * `bus`, `redis` and `events` are set once the file's tests (and its own beforeAll) run.
 */
export class DispatcherTestbed {
  bus!: Bus;
  redis!: Redis;
  events!: EventCollector;
  readonly #dispatchers: RunningDispatcher[] = [];
  readonly #receivers: TestReceiver[] = [];

  readonly ns: string;

  constructor(ns: string) {
    this.ns = ns;
    beforeAll(async () => {
      this.bus = await connectTestBus(ns);
      this.redis = connectTestRedis();
      this.events = new EventCollector(this.bus);
    });
    afterAll(async () => {
      this.events?.close();
      for (const dispatcher of this.#dispatchers) await dispatcher.stop();
      for (const receiver of this.#receivers) await receiver.close();
      await cleanupTestNamespace(this.bus, this.redis, ns);
    });
  }

  /** A real HTTP receiver (see TestReceiver), closed after the file. */
  async receiver(behaviour?: ReceiverBehaviour): Promise<TestReceiver> {
    const receiver = await TestReceiver.start(behaviour);
    this.#receivers.push(receiver);
    return receiver;
  }

  /** A dispatcher on this namespace's bus and Redis, stopped after the file (`FAST_DISPATCH` is not implied). */
  async dispatcher(deps: Omit<DispatcherDeps, "bus" | "redis">): Promise<RunningDispatcher> {
    const dispatcher = await startDispatcher({ bus: this.bus, redis: this.redis, ...deps });
    this.#dispatchers.push(dispatcher);
    return dispatcher;
  }

  /** One copy on `<ns>.outbox.<endpoint>`, as the router puts it (see `toOutbox`); returns its OUTBOX sequence. */
  toOutbox(endpoint: string, id: string, options?: Parameters<typeof toOutbox>[3]): Promise<number> {
    return toOutbox(this.bus, endpoint, id, options);
  }

  /** Resolves once the endpoint's dispatch consumer has nothing pending and nothing awaiting an ack. */
  async idle(endpoint: string): Promise<void> {
    const durable = dispatchDurableName(endpoint);
    await waitFor(async () => {
      const info = await this.bus.jsm.consumers.info(this.bus.topology.streams.outbox, durable);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, `${durable} to be idle`);
  }
}

/** The shared set-up of a dispatcher integration test file, in a fresh namespace named after `label`. */
export function dispatcherTestbed(label: string): DispatcherTestbed {
  return new DispatcherTestbed(testNamespace(label));
}

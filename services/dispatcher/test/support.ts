import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Bus } from "@carehub/bus";
import { EndpointRegistry } from "@carehub/registry";
import type { EndpointInput, LifecycleEvent } from "@carehub/schemas";

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
 * message id `msg-<id>`, source `sender-x`, kind lab-result); returns its OUTBOX sequence.
 */
export async function toOutbox(
  bus: Bus,
  endpoint: string,
  id: string,
  options: { after?: string; body?: string; expires?: string } = {},
): Promise<number> {
  const { seq } = await bus.publish(bus.topology.subjects.outbox(endpoint), options.body ?? `<message id="${id}"/>`, {
    msgId: `${id}:${endpoint}`,
    contentType: "application/xml",
    headers: {
      "Carehub-Hub-Id": id,
      "Carehub-Source-Endpoint": "sender-x",
      "Carehub-Message-Id": `msg-${id}`,
      "Carehub-Receiver": endpoint,
      "Carehub-Kind": "lab-result",
      ...(options.after === undefined ? {} : { "Carehub-After": options.after }),
      ...(options.expires === undefined ? {} : { "Carehub-Expires": options.expires }),
    },
  });
  return seq;
}

// The public surface of @carehub/testkit-hub as the packed tarball declares it (docs/decisions/0071): written by
// hand because a declaration build over the whole hub runs out of memory (0070). Kept true to src/index.ts by
// types/declarations.check.ts (pnpm typecheck): every export is declared, every declaration is met by the source,
// and the option and handle types have the source's keys. The hub's own handles (RunningHub, the ledger) are
// declared as much as a test outside the repository can use.

import type { IncomingHttpHeaders } from "node:http";
import type { Redis } from "ioredis";
import type {
  DeliveryFormat,
  EndpointInput,
  HubConfig,
  MessageLifecycle,
  RegistryConfigInput,
  RoutingRule,
} from "./schema-types.mjs";

export type { DeliveryFormat, EndpointInput, HubConfig, MessageLifecycle, RegistryConfigInput, RoutingRule };

/** An endpoint without delivery and auth: the test hub gives each a webhook receiver and the token `token-<id>`. */
export type TestHubEndpoint = Omit<EndpointInput, "delivery" | "auth"> & Partial<Pick<EndpointInput, "delivery">>;

/** The hub identity a test hub has unless given another. */
export declare const TEST_HUB_IDENTITY: {
  readonly id: "carehub";
  readonly name: "carehub (test)";
  readonly sor: "481521000016007";
  readonly gln: "5790000199990";
};

export interface TestRegistryOptions {
  endpoints: Array<TestHubEndpoint & { format?: DeliveryFormat }>;
  /** Where the hub delivers to each endpoint (its test receiver); an endpoint's own `delivery` wins. */
  receiverUrl: (endpointId: string) => string;
  hub?: RegistryConfigInput["hub"];
  rules?: RoutingRule[];
  /** Operators (query API: everything), each with the token `token-<id>`. */
  operators: Array<{ id: string; role?: "viewer" | "operator" | "admin" }>;
}

/** The registry of a hub inside a test: every endpoint delivered to by webhook and known by `token-<id>`. */
export declare function testRegistry(options: TestRegistryOptions): RegistryConfigInput;

export interface TestHubOptions {
  endpoints: TestHubEndpoint[];
  rules?: RoutingRule[];
  /** The hub's own identity in the registry. */
  hub?: RegistryConfigInput["hub"];
  /**
   * `private` (default) starts a nats-server and a redis-server for this hub alone (stopped by close);
   * `{ natsUrl, redisUrl }` uses those servers under a fresh namespace (deleted by close); `shared` is that on
   * the testkit's shared servers (NATS_URL / REDIS_URL or the local defaults).
   */
  servers?: "private" | "shared" | { natsUrl: string; redisUrl: string };
  /** The hub's namespace; default a fresh one. */
  namespace?: string;
  /** Overrides of the hub configuration (namespace, httpPort and registryPath are the test hub's). */
  config?: Partial<HubConfig>;
  /** Service settings as `carehub start` reads them from the environment. */
  settingsEnv?: Record<string, string>;
}

/** The endpoints, rules and hub identity of a registry as test-hub options (deliveries and tokens dropped). */
export declare function registryHubOptions(
  registry: Pick<RegistryConfigInput, "endpoints" | "rules" | "hub">,
): Pick<TestHubOptions, "endpoints" | "rules" | "hub">;

/** What `send` answers: the gateway's status and, when it took the message, the hub id. */
export interface SendResult {
  status: number;
  hubId?: string;
  body: unknown;
}

/** The read model of everything sent to a test hub, with what differs between runs left out (see normalise). */
export type ReadModelSnapshot = SnapshotEntry[];

export interface SnapshotEntry {
  /** `<sender>/<message id>`, or `<sender>/#<n>` for the n-th message without a readable id. */
  ref: string;
  kind?: string;
  status: string;
  receivers: Array<{ endpoint: string; status: string; attempts: number; ackCode?: string; rule?: string }>;
  rejection?: string[];
  deadLetter?: string;
  subject?: { type: string; id: string; originator?: string };
  links: Record<string, string | string[]>;
}

/** The running hub inside a test hub (its services in this process). */
export interface RunningHub {
  config: HubConfig;
  /** The gateway's base URL. */
  url: string | undefined;
  /** The console's base URL; undefined (a test hub does not start the console). */
  consoleUrl: string | undefined;
  opsUrl: string | undefined;
  redis: Redis;
  /** The services that are running. */
  services: string[];
  /** Stops the services, then closes NATS and Redis. Idempotent. */
  stop(): Promise<void>;
}

export interface TestHub {
  hub: RunningHub;
  namespace: string;
  /** The gateway's base URL. */
  url: string;
  /** The hub's message ledger (carehub's own recording tools use it); opaque outside the repository. */
  ledger: unknown;
  receiver(endpointId: string): TestReceiver;
  /** The bearer token of an endpoint (or of the operator `operator`): `token-<id>`. */
  token(id: string): string;
  /** POST /v1/messages as `endpointId`. */
  send(endpointId: string, body: Uint8Array | string, contentType: string): Promise<SendResult>;
  /** Replays a recording file (`carehub record`) into this hub; returns the hub ids in the order stored. */
  sendRecording(file: string): Promise<string[]>;
  /** Resolves once nothing is pending on any hub stream on two polls in a row; rejects after `timeoutMs`. */
  waitUntilQuiet(timeoutMs?: number): Promise<void>;
  /** The read model's record of one message (GET /v1/messages/:id as the operator). */
  message(hubId: string): Promise<MessageLifecycle | undefined>;
  expectDeliveredTo(hubId: string, endpointId: string): Promise<void>;
  expectRejectedWith(hubId: string, code: string): Promise<void>;
  expectAcknowledgedWith(hubId: string, endpointId: string, ackCode: string): Promise<void>;
  expectReferralStatus(originator: string, referralId: string, status: string): Promise<void>;
  /** Waits until quiet, then the normalised read model of every message sent through this test hub. */
  snapshotReadModel(): Promise<ReadModelSnapshot>;
  close(): Promise<void>;
}

/** Thrown by the expect* helpers: says what was expected and what the read model shows. */
export declare class TestHubAssertionError extends Error {
  name: string;
}

/** Starts a whole hub for a test: its servers (unless given), a webhook receiver per endpoint, the services. */
export declare function startTestHub(options: TestHubOptions): Promise<TestHub>;

/** A message's record without what differs between two runs of the same traffic. */
export declare function normalise(r: MessageLifecycle, ref: string, refOf: Map<string, string>): SnapshotEntry;

/** Deletes a hub namespace's streams and Redis keys (its own connections). */
export declare function cleanupHubNamespace(namespace: string, natsUrl: string, redisUrl: string): Promise<void>;

/** One HTTP delivery a test receiver got. */
export interface Delivery {
  /** Carehub-Message-Id: the sender's message id (what a receiver dedups on). */
  messageId: string | undefined;
  hubId: string | undefined;
  kind: string | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** What the receiver answered. */
  status: number;
  at: Date;
}

/** A webhook endpoint for tests: records every delivery, answers 200, can fail the next N or be down. */
export declare class TestReceiver {
  private constructor();
  readonly deliveries: Delivery[];
  static start(): Promise<TestReceiver>;
  /** The webhook URL to put in the registry. */
  get url(): string;
  /** Answer the next `count` deliveries with `status` (default 503, which the dispatcher retries). */
  failNext(count: number, status?: number): void;
  /** While down, every connection is cut before an answer. */
  setDown(down: boolean): void;
  /** Deliveries answered 2xx, by Carehub-Message-Id. */
  accepted(messageId?: string): Delivery[];
  /** Resolves once `predicate` holds for the recorded deliveries. */
  waitFor(predicate: (deliveries: Delivery[]) => boolean, timeoutMs?: number): Promise<Delivery[]>;
  close(): Promise<void>;
}

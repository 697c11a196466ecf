// The types of @carehub/testkit-hub's public surface that are plain data (options, results, snapshots,
// deliveries), the shape of the TestHub handle, and the @carehub/schemas types they and the declarations name: one
// place for the source (src/*.ts import them) and the tarball's hand-written declarations (index.d.mts imports
// "./public-types.mjs").
// The build (tsdown.config.ts) turns this file alone into dist/public-types.d.mts with the schema types inlined
// (zod's only), so the tarball needs no @carehub/schemas. Keep it free of the hub's own types.
import type { IncomingHttpHeaders } from "node:http";
import type {
  DeliveryFormat,
  EndpointInput,
  HubConfig,
  MessageLifecycle,
  RegistryConfigInput,
  RoutingRule,
} from "@carehub/schemas";

export type {
  DeliveryFormat,
  EndpointInput,
  HubConfig,
  MessageLifecycle,
  RegistryConfigInput,
  RoutingRule,
} from "@carehub/schemas";

/** An endpoint without delivery and auth: the test hub gives each a webhook receiver and the token `token-<id>`. */
export type TestHubEndpoint = Omit<EndpointInput, "delivery" | "auth"> & Partial<Pick<EndpointInput, "delivery">>;

export interface TestRegistryOptions {
  endpoints: Array<TestHubEndpoint & { format?: DeliveryFormat }>;
  /** Where the hub delivers to each endpoint (its test receiver); an endpoint's own `delivery` wins. */
  receiverUrl: (endpointId: string) => string;
  hub?: RegistryConfigInput["hub"];
  rules?: RoutingRule[];
  /** Operators (query API: everything), each with the token `token-<id>`. */
  operators: Array<{ id: string; role?: "viewer" | "operator" | "admin" }>;
}

export interface TestHubOptions {
  endpoints: TestHubEndpoint[];
  rules?: RoutingRule[];
  /** The hub's own identity in the registry. */
  hub?: RegistryConfigInput["hub"];
  /**
   * Where the hub's streams and keys live: `private` (default) starts a nats-server and a redis-server for this
   * hub alone (stopped by close); `{ natsUrl, redisUrl }` uses those servers under a fresh namespace (deleted by
   * close); `shared` is that on the testkit's shared servers (NATS_URL / REDIS_URL or the local defaults).
   */
  servers?: "private" | "shared" | { natsUrl: string; redisUrl: string };
  /**
   * The hub's namespace; default a fresh one. A fixed one makes hub ids (derived under the namespace) the same in
   * every run, e.g. for a recording that must come out byte for byte the same; on servers other hubs use, two runs
   * with the same one would share streams and keys.
   */
  namespace?: string;
  /** Overrides of the hub configuration (namespace, httpPort and registryPath are the test hub's). */
  config?: Partial<HubConfig>;
  /** Service settings as `carehub start` reads them from the environment. */
  settingsEnv?: Record<string, string>;
  /**
   * false: the endpoints' receivers answer and count deliveries without keeping them (`deliveries` stays empty;
   * `received` counts). Default true. For a long bench run, which would otherwise hold every delivered body.
   */
  keepDeliveries?: boolean;
}

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

/**
 * The handle `startTestHub` returns, spelled once for the source and the tarball's declarations: each names its
 * own running hub, ledger and receiver (the tarball declares the hub only as far as a test outside the repository
 * can use it, and the ledger as `unknown`), so this file stays free of the hub's own types.
 */
export interface TestHubHandle<Hub, Ledger, Receiver> {
  hub: Hub;
  namespace: string;
  /** The gateway's base URL. */
  url: string;
  /** The hub ids this hub derives (for `carehub record`'s capture or a replay of its own). */
  ledger: Ledger;
  receiver(endpointId: string): Receiver;
  /** The bearer token of an endpoint (or of the operator `operator`): `token-<id>`. */
  token(id: string): string;
  /** POST /v1/messages as `endpointId`. */
  send(endpointId: string, body: Uint8Array | string, contentType: string): Promise<SendResult>;
  /**
   * Replays a recording file (`carehub record`) into this hub as fast as it takes it, reading the file as it goes
   * (a recording of any length is never held whole); returns the hub ids in the order they were stored.
   */
  sendRecording(file: string): Promise<string[]>;
  /**
   * Resolves once every consumer of every hub stream has nothing pending and nothing awaiting an ack, and no
   * stream grew, on two polls in a row; rejects after `timeoutMs`.
   */
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

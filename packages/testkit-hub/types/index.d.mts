// The public surface of @carehub/testkit-hub as the packed tarball declares it (docs/decisions/0071): written by
// hand because a declaration build over the whole hub runs out of memory (0070). Kept true to src/index.ts by
// types/declarations.check.ts (pnpm typecheck): every export is declared, every declaration is met by the source,
// and the handle types have the source's keys. The plain-data types (options, results, snapshots, deliveries) are
// not repeated here: source and declarations share types/public-types.mts. The hub's own handles (RunningHub, the
// ledger) are declared as much as a test outside the repository can use.

import type { Redis } from "ioredis";
import type {
  Delivery,
  HubConfig,
  MessageLifecycle,
  RegistryConfigInput,
  SnapshotEntry,
  TestHubHandle,
  TestHubOptions,
  TestRegistryOptions,
} from "./public-types.mjs";

export type {
  Delivery,
  DeliveryFormat,
  EndpointInput,
  HubConfig,
  MessageLifecycle,
  ReadModelSnapshot,
  RegistryConfigInput,
  RoutingRule,
  SendResult,
  SnapshotEntry,
  TestHubEndpoint,
  TestHubOptions,
  TestRegistryOptions,
} from "./public-types.mjs";

/** The hub identity a test hub has unless given another. */
export declare const TEST_HUB_IDENTITY: {
  readonly id: "carehub";
  readonly name: "carehub (test)";
  readonly sor: "481521000016007";
  readonly gln: "5790000199990";
};

/** The registry of a hub inside a test: every endpoint delivered to by webhook and known by `token-<id>`. */
export declare function testRegistry(options: TestRegistryOptions): RegistryConfigInput;

/** The endpoints, rules and hub identity of a registry as test-hub options (deliveries and tokens dropped). */
export declare function registryHubOptions(
  registry: Pick<RegistryConfigInput, "endpoints" | "rules" | "hub">,
): Pick<TestHubOptions, "endpoints" | "rules" | "hub">;

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

/** A whole hub inside a test; its ledger is opaque outside the repository. */
export type TestHub = TestHubHandle<RunningHub, unknown, TestReceiver>;

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

/** A webhook endpoint for tests: records every delivery, answers 200, can fail the next N or be down. */
export declare class TestReceiver {
  private constructor();
  readonly deliveries: Delivery[];
  /** Deliveries answered so far (kept or not). */
  get received(): number;
  /** `keep: false`: answers and counts each delivery without keeping it (`deliveries` stays empty). */
  static start(options?: { keep?: boolean }): Promise<TestReceiver>;
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

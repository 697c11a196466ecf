/**
 * The end-to-end harness: a whole hub in a private namespace on the shared NATS and Redis, with real HTTP
 * receivers for its endpoints. Start one per test file:
 *
 *   const h = await startHarness();                 // default endpoints (see defaultEndpoints)
 *   const response = await h.send("acute-team", bytes, "application/fhir+json");
 *   await h.receiver("practice").waitFor((d) => d.length === 1);
 *   const events = await h.waitForEvents((e) => e.type === "rejected" && e.hubId === id);
 *   await h.close();                                // stops the hub, deletes the namespace's streams and keys
 *
 * Every endpoint authenticates with the token `token-<endpoint id>` and receives by webhook at its own
 * TestReceiver (failNext / setDown to misbehave); the operator `operator` (query API: everything) with
 * `token-operator`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoredMessage, StreamRole } from "@carehub/bus";
import { parseServiceSettings, type RunningHub, startHub } from "@carehub/hub";
import type { Logger } from "@carehub/observability";
import {
  type DeliveryFormat,
  type EndpointInput,
  type HubConfig,
  type LifecycleEvent,
  parseHubConfig,
  type RegistryConfigInput,
  type RoutingRule,
} from "@carehub/schemas";
import { sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { TEST_HUB_IDENTITY, testRegistry } from "@carehub/testkit-hub";
import { cleanupHubNamespace } from "./namespace.ts";
import { TestReceiver } from "./test-receiver.ts";

export { type Delivery, TestReceiver } from "./test-receiver.ts";

/** An endpoint without its delivery and auth: the harness fills those in (webhook to its receiver, token). */
export type HarnessEndpoint = Omit<EndpointInput, "delivery" | "auth"> &
  Partial<Pick<EndpointInput, "delivery">> & {
    /** The wire format the endpoint wants on the harness's own webhook (default: as received). */
    format?: DeliveryFormat;
  };

export const HUB_IDENTITY = TEST_HUB_IDENTITY;

/**
 * The default endpoints, with the identities used in MedCom's published examples, so that those examples
 * can be sent as they are: the acute team sends the HomeCareObservation examples to the practice; the lab
 * sends XRPT01_2 to Klamer's practice; the databank takes practice-produced lab results.
 */
export function defaultEndpoints(): HarnessEndpoint[] {
  const everything = ["acknowledgement"] as const;
  return [
    {
      id: "acute-team",
      name: "Pleje og Rehabilitering (kommunal akutfunktion)",
      kind: "municipality",
      identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
      sends: ["homecare-observation", "care-communication", "acknowledgement"],
      accepts: ["care-communication", "hospital-notification", ...everything],
    },
    {
      id: "practice",
      name: "Skødstrup Lægepraksis",
      kind: "practice",
      identifiers: { sor: ["52581000016005"], gln: ["5790000127092"], ydernummer: "061654" },
      sends: ["lab-result", "referral", "care-communication", "acknowledgement"],
      accepts: ["homecare-observation", "lab-result", "care-communication", "status-update", ...everything],
    },
    {
      id: "lab",
      name: "Klinisk Kemisk Afdeling, Sygehus Fyn Svendborg",
      kind: "laboratory",
      identifiers: { sor: ["161803000016005"], gln: ["5790000120284"] },
      sends: ["lab-result", "acknowledgement"],
      accepts: ["lab-requisition", ...everything],
    },
    {
      id: "klamer",
      name: "Finn Klamer",
      kind: "practice",
      identifiers: { sor: ["271828000016003"], gln: ["5790000125012"], ydernummer: "989897" },
      sends: ["lab-result", "acknowledgement"],
      accepts: ["lab-result", "homecare-observation", ...everything],
    },
    {
      id: "databank",
      name: "Den Nationale Laboratoriedatabase",
      kind: "databank",
      // A practice's FHIR lab results reach it as XRPT01 letters (docs/databank-mapping.md).
      format: "oioxml",
      identifiers: { sor: ["112358000016006"], gln: ["5790000188888"] },
      sends: ["acknowledgement"],
      accepts: ["lab-result", ...everything],
    },
  ];
}

export function defaultRules(): RoutingRule[] {
  return [
    {
      id: "lab-databank-copy",
      when: { kind: "lab-result", senderKind: "practice", consentGiven: true, producedBySender: true },
      copyTo: ["databank"],
    },
  ];
}

export interface HarnessOptions {
  endpoints?: HarnessEndpoint[];
  rules?: RoutingRule[];
  /** Which services run (default: all that exist). */
  services?: string[];
  /** Overrides of the hub configuration (namespace, httpPort and registryPath are the harness's). */
  config?: Partial<HubConfig>;
  /** Keep the registry in a file the hub watches, so a test can change it (`updateRegistry`). */
  registryFile?: boolean;
  /** Operator ids (query API: read everything), each with the token `token-<id>`. Default: `operator`. */
  operators?: string[];
  /** Service settings as `carehub start` reads them from the environment (e.g. `CAREHUB_CIRCUIT_FAILURE_THRESHOLD`). */
  settingsEnv?: Record<string, string>;
  /** Console roles of those operators (the registry's default, viewer, for one left out). */
  operatorRoles?: Record<string, "viewer" | "operator" | "admin">;
  /** The hub's logger (default: the hub's own, at LOG_LEVEL or warn); a test passes one to read the log lines. */
  logger?: Logger;
  /**
   * Start as `carehub start` does, waiting for NATS and Redis (and for provisioning a cluster still placing its
   * streams) with backoff instead of failing at once. Default false.
   */
  waitForConnections?: boolean;
  /** The services' own settings as `carehub start` reads them from the environment (e.g. CAREHUB_TRACKER_*). */
  serviceEnv?: Record<string, string>;
}

export interface Harness {
  hub: RunningHub;
  namespace: string;
  /** Gateway base URL. */
  url: string;
  /** The registry as the harness last gave it to the hub. */
  registry: RegistryConfigInput;
  receiver(endpointId: string): TestReceiver;
  /** The bearer token of an endpoint or an operator: `token-<id>`. */
  token(endpointId: string): string;
  /** POST /v1/messages as an endpoint (its token), or with `token: null` for none. */
  send(
    endpointId: string,
    body: Uint8Array | string,
    contentType: string,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Every message now in one of the hub's streams (oldest first). */
  streamMessages(role: StreamRole): Promise<StoredMessage[]>;
  events(): Promise<LifecycleEvent[]>;
  /** Polls EVENTS until `predicate` matches at least one event; returns the matching ones. */
  waitForEvents(predicate: (event: LifecycleEvent) => boolean, timeoutMs?: number): Promise<LifecycleEvent[]>;
  /** Polls until `probe` returns something other than undefined. */
  waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs?: number): Promise<T>;
  /** Rewrites the watched registry file (needs `registryFile: true`); resolves once the hub uses it. */
  updateRegistry(change: (registry: RegistryConfigInput) => RegistryConfigInput): Promise<void>;
  /** Writes any text to the registry file (to test refusal of an invalid file). */
  writeRegistryText(text: string): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const namespace = testNamespace("e2e");
  const specs = options.endpoints ?? defaultEndpoints();
  const receivers = new Map<string, TestReceiver>();
  for (const spec of specs) receivers.set(spec.id, await TestReceiver.start());
  let registry: RegistryConfigInput = testRegistry({
    endpoints: specs,
    receiverUrl: (id) => receivers.get(id)?.url ?? "",
    hub: HUB_IDENTITY,
    rules: options.rules ?? defaultRules(),
    operators: (options.operators ?? ["operator"]).map((id) => ({
      id,
      ...(options.operatorRoles?.[id] === undefined ? {} : { role: options.operatorRoles[id] }),
    })),
  });
  const dir = options.registryFile ? await mkdtemp(join(tmpdir(), "carehub-e2e-")) : undefined;
  const registryPath = dir === undefined ? "unused" : join(dir, "endpoints.json");
  if (dir !== undefined) await writeFile(registryPath, JSON.stringify(registry, null, 2));
  const config = parseHubConfig(
    { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
    // The test profile (PROFILE_DEFAULTS of @carehub/schemas): no load shed for event-loop lag or INGRESS
    // backlog unless a test asks for it in options.config.
    { profile: "test", ...options.config, namespace, httpPort: 0, registryPath },
  );
  const settings = parseServiceSettings(options.settingsEnv ?? {}, config);
  const hub = await startHub({
    config,
    // The console (when asked for) on a free port, like the gateway's httpPort 0.
    settings: { ...settings, console: { ...settings.console, port: 0 } },
    ...(dir === undefined ? { registry } : {}),
    ...(options.services === undefined ? {} : { services: options.services }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.waitForConnections === true ? { waitForConnections: true } : {}),
    ...(options.serviceEnv === undefined ? {} : { settings: parseServiceSettings(options.serviceEnv, config) }),
  });
  const url = hub.url ?? "";

  const streamMessages = async (role: StreamRole): Promise<StoredMessage[]> => {
    const stream = hub.bus.topology.streams[role];
    const state = (await hub.bus.jsm.streams.info(stream)).state;
    const found: StoredMessage[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const message = await hub.bus.getMessage(stream, seq);
      if (message !== null) found.push(message);
    }
    return found;
  };
  const events = async (): Promise<LifecycleEvent[]> =>
    (await streamMessages("events")).map((m) => JSON.parse(Buffer.from(m.data).toString()) as LifecycleEvent);
  const waitFor = async <T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const harness: Harness = {
    hub,
    namespace,
    url,
    get registry() {
      return registry;
    },
    receiver: (id) => {
      const receiver = receivers.get(id);
      if (receiver === undefined) throw new Error(`no test receiver for endpoint ${id}`);
      return receiver;
    },
    token: (id) => `token-${id}`,
    send: (endpointId, body, contentType, sendOptions = {}) => {
      const token = sendOptions.token === undefined ? `token-${endpointId}` : sendOptions.token;
      return fetch(`${url}/v1/messages`, {
        method: "POST",
        headers: {
          "content-type": contentType,
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...sendOptions.headers,
        },
        body: typeof body === "string" ? body : Buffer.from(body),
      });
    },
    streamMessages,
    events,
    waitForEvents: (predicate, timeoutMs) =>
      waitFor(
        async () => {
          const matching = (await events()).filter(predicate);
          return matching.length > 0 ? matching : undefined;
        },
        "matching events",
        timeoutMs,
      ),
    waitFor,
    updateRegistry: async (change) => {
      if (dir === undefined) throw new Error("updateRegistry needs startHarness({ registryFile: true })");
      const before = hub.registry.current().version;
      registry = change(structuredClone(registry));
      await writeFile(registryPath, JSON.stringify(registry, null, 2));
      await waitFor(async () => (hub.registry.current().version !== before ? true : undefined), "the registry reload");
    },
    writeRegistryText: async (text) => {
      if (dir === undefined) throw new Error("writeRegistryText needs startHarness({ registryFile: true })");
      await writeFile(registryPath, text);
    },
    close: async () => {
      await hub.stop();
      await cleanupHubNamespace(namespace);
      for (const receiver of receivers.values()) await receiver.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

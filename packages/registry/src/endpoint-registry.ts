import { createHash } from "node:crypto";
import type {
  Endpoint,
  HubIdentity,
  MessageKind,
  Operator,
  Party,
  RegistryConfig,
  RoutingRule,
} from "@carehub/schemas";
import type { WebhookSecret } from "@carehub/webhook-signature";
import { RegistryConfigError } from "./registry-config-error.ts";
import { resolveSigningSecrets, type SecretSources } from "./signing-secrets.ts";
import { digestsEqual, hashToken } from "./token-hash.ts";
import { validateRegistryConfig } from "./validate-registry-config.ts";

/**
 * An immutable snapshot of the endpoint registry. A reload builds a new snapshot; code that holds one
 * keeps a consistent view for the whole of a request or message.
 */
export class EndpointRegistry {
  /** The hub's own identity (sender of the acknowledgements the hub makes itself). */
  readonly hub: Readonly<HubIdentity>;
  /** Short fingerprint of the configuration, to tell snapshots apart in logs. */
  readonly version: string;
  readonly #config: RegistryConfig;
  readonly #byId: ReadonlyMap<string, Endpoint>;
  readonly #bySor: ReadonlyMap<string, Endpoint>;
  readonly #byGln: ReadonlyMap<string, Endpoint>;
  readonly #byVans: ReadonlyMap<string, Endpoint>;
  readonly #tokens: ReadonlyArray<{ digest: Buffer; endpoint: Endpoint }>;
  readonly #operatorTokens: ReadonlyArray<{ digest: Buffer; operator: Operator }>;
  readonly #signingSecrets: ReadonlyMap<string, readonly WebhookSecret[]>;

  /**
   * Takes a configuration that already passed `validateRegistryConfig` and the signing secrets its references
   * resolved to (`resolveSigningSecrets`); use `EndpointRegistry.from`, which does both, otherwise.
   */
  constructor(config: RegistryConfig, signingSecrets: ReadonlyMap<string, readonly WebhookSecret[]> = new Map()) {
    for (const endpoint of config.endpoints) {
      const wanted = endpoint.delivery.mode === "http" ? (endpoint.delivery.signing?.secrets.length ?? 0) : 0;
      // Never a signed endpoint without its keys: its deliveries would silently go out unsigned.
      if ((signingSecrets.get(endpoint.id)?.length ?? 0) !== wanted) {
        throw new TypeError(`EndpointRegistry: the signing secrets of endpoint ${endpoint.id} were not resolved`);
      }
    }
    this.#signingSecrets = signingSecrets;
    this.#config = deepFreeze(structuredClone(config));
    this.hub = this.#config.hub;
    this.version = createHash("sha256").update(JSON.stringify(this.#config)).digest("hex").slice(0, 12);
    const byId = new Map<string, Endpoint>();
    const bySor = new Map<string, Endpoint>();
    const byGln = new Map<string, Endpoint>();
    const byVans = new Map<string, Endpoint>();
    const tokens: Array<{ digest: Buffer; endpoint: Endpoint }> = [];
    for (const endpoint of this.#config.endpoints) {
      byId.set(endpoint.id, endpoint);
      for (const sor of endpoint.identifiers.sor) bySor.set(sor, endpoint);
      for (const gln of endpoint.identifiers.gln) byGln.set(gln, endpoint);
      for (const vans of endpoint.identifiers.vans ?? []) byVans.set(vans, endpoint);
      for (const hash of endpoint.auth.tokenSha256) tokens.push({ digest: Buffer.from(hash, "hex"), endpoint });
    }
    this.#byId = byId;
    this.#bySor = bySor;
    this.#byGln = byGln;
    this.#byVans = byVans;
    this.#tokens = tokens;
    this.#operatorTokens = this.#config.operators.flatMap((operator) =>
      operator.tokenSha256.map((hash) => ({ digest: Buffer.from(hash, "hex"), operator })),
    );
  }

  /**
   * Validates the configuration, reads the webhook signing secrets it refers to (environment variables,
   * files) and builds a snapshot. Throws RegistryConfigError listing every problem, schema and secrets alike.
   */
  static from(input: unknown, source = "registry", secretSources?: SecretSources): EndpointRegistry {
    const signing = resolveSigningSecrets(input, secretSources);
    let config: RegistryConfig;
    try {
      config = validateRegistryConfig(input, source);
    } catch (error) {
      if (!(error instanceof RegistryConfigError) || signing.problems.length === 0) throw error;
      throw new RegistryConfigError(source, [...error.problems, ...signing.problems]);
    }
    if (signing.problems.length > 0) throw new RegistryConfigError(source, signing.problems);
    return new EndpointRegistry(config, signing.byEndpoint);
  }

  byId(id: string): Endpoint | undefined {
    return this.#byId.get(id);
  }

  /**
   * The endpoint a bearer token belongs to. Every stored hash is compared in constant time and the loop
   * never stops early, so timing does not tell how close a guess was.
   */
  authenticate(token: string): Endpoint | undefined {
    if (token === "") return undefined;
    const digest = Buffer.from(hashToken(token), "hex");
    let found: Endpoint | undefined;
    for (const candidate of this.#tokens) {
      if (digestsEqual(candidate.digest, digest)) found = candidate.endpoint;
    }
    return found;
  }

  /**
   * The operator a bearer token belongs to (operators read everything through the query API and send
   * nothing). Compared in constant time over every stored hash, like `authenticate`.
   */
  authenticateOperator(token: string): Operator | undefined {
    if (token === "") return undefined;
    const digest = Buffer.from(hashToken(token), "hex");
    let found: Operator | undefined;
    for (const candidate of this.#operatorTokens) {
      if (digestsEqual(candidate.digest, digest)) found = candidate.operator;
    }
    return found;
  }

  /** The endpoint a message's party names: by SOR id first, then by GLN, then (a VANS receipt's sender) VANS id. */
  resolveParty(party: Pick<Party, "sor" | "gln" | "vans">): Endpoint | undefined {
    const bySor = party.sor === undefined ? undefined : this.#bySor.get(party.sor);
    if (bySor !== undefined) return bySor;
    const byGln = party.gln === undefined ? undefined : this.#byGln.get(party.gln);
    if (byGln !== undefined) return byGln;
    return party.vans === undefined ? undefined : this.#byVans.get(party.vans);
  }

  /** Whether a party names the hub itself (messages addressed to the hub, e.g. acks of its own acks). */
  isHub(party: Pick<Party, "sor" | "gln">): boolean {
    return party.sor === this.hub.sor || party.gln === this.hub.gln;
  }

  endpoints(): readonly Endpoint[] {
    return this.#config.endpoints;
  }

  rules(): readonly RoutingRule[] {
    return this.#config.rules;
  }

  operators(): readonly Operator[] {
    return this.#config.operators;
  }

  /** Whether receivers are expected to acknowledge messages of this kind (registry `kinds.<kind>.acknowledgement`). */
  acknowledgementExpected(kind: MessageKind): boolean {
    return this.#config.kinds[kind]?.acknowledgement !== "not-expected";
  }

  /**
   * How long an endpoint has to acknowledge a message of a kind, in ms (its `ackTimeoutSeconds`); undefined when
   * it is not registered or the kind expects no acknowledgement. The tracker's ack-overdue timer and the query
   * API's `ackDueAt` both ask this.
   */
  acknowledgementTimeoutMs(endpointId: string, kind: MessageKind | undefined): number | undefined {
    const seconds = this.#byId.get(endpointId)?.ackTimeoutSeconds;
    if (seconds === undefined || (kind !== undefined && !this.acknowledgementExpected(kind))) return undefined;
    return seconds * 1_000;
  }

  /**
   * The secrets the dispatcher signs an endpoint's webhook deliveries with (one signature each); empty when
   * the endpoint is not signed or is not in HTTP delivery mode. Their keys never show in logs or JSON.
   */
  webhookSecrets(endpointId: string): readonly WebhookSecret[] {
    return this.#signingSecrets.get(endpointId) ?? [];
  }

  /** Ids of the endpoints whose webhook deliveries go out unsigned (HTTP delivery without `signing`). */
  unsignedHttpEndpoints(): string[] {
    return this.#config.endpoints
      .filter((endpoint) => endpoint.delivery.mode === "http" && endpoint.delivery.signing === undefined)
      .map((endpoint) => endpoint.id);
  }

  /** The whole configuration, frozen. */
  config(): RegistryConfig {
    return this.#config;
  }

  /** A snapshot is its own source, so a fixed registry can be passed where a reloadable one is expected. */
  current(): EndpointRegistry {
    return this;
  }
}

/** Where services get the registry from: a fixed snapshot, or a watcher that swaps in reloaded ones. */
export interface RegistrySource {
  current(): EndpointRegistry;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

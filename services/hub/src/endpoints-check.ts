// `carehub endpoints check [id]`: is each endpoint able to take deliveries now? Its webhook answers (an HTTP HEAD,
// within the endpoint's delivery timeout: the hub has no signed ping, and a HEAD delivers nothing), its circuit
// breaker is closed (the dispatcher's state in Redis), what waits for it (its dispatch consumer's backlog), and
// when it last took a delivery (the read model). Unhealthy: no answer, a 5xx answer, or a circuit not closed.
import { type Bus, isJetStreamNotFound, readConsumerBacklog } from "@carehub/bus";
import { CircuitStore, DEFAULT_CIRCUIT_POLICY, dispatchDurableName, dispatchKeys } from "@carehub/dispatcher";
import type { EndpointRegistry } from "@carehub/registry";
import type { ReadModelQueries } from "@carehub/store";
import type { Redis } from "ioredis";
import { table } from "./cli-output.ts";

type Endpoint = ReturnType<EndpointRegistry["endpoints"]>[number];

/** How many of the newest messages to an endpoint are looked through for its last delivery. */
const LAST_DELIVERY_SCAN = 20;

export interface Reachability {
  /** `http`: a HEAD was answered; `nats`: delivered to a NATS inbox, nothing to call. */
  checked: "http" | "nats";
  reachable: boolean;
  /** The HTTP status of the answer. */
  status: number | null;
  /** Why there was no answer: a system error code (ECONNREFUSED, …) or `timeout`. Never the URL. */
  error: string | null;
}

export interface EndpointCheck {
  id: string;
  healthy: boolean;
  reachability: Reachability;
  circuit: "closed" | "open" | "half-open";
  /** The dispatch consumer's backlog; null when no dispatcher has made it yet. */
  backlog: { pending: number; ackPending: number; oldestUnackedSeconds: number } | null;
  /** When a message was last delivered to it, of its newest messages; null when none was. */
  lastDeliveryAt: string | null;
}

export interface CheckDeps {
  bus: Bus;
  redis: Redis;
  store: Pick<ReadModelQueries, "listMessages" | "getMessage">;
}

export async function checkReachability(endpoint: Endpoint): Promise<Reachability> {
  const delivery = endpoint.delivery as { mode: string; url?: string; timeoutMs?: number };
  if (delivery.mode !== "http" || delivery.url === undefined) {
    return { checked: "nats", reachable: true, status: null, error: null };
  }
  try {
    const response = await fetch(delivery.url, {
      method: "HEAD",
      redirect: "manual",
      signal: AbortSignal.timeout(delivery.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    return { checked: "http", reachable: response.status < 500, status: response.status, error: null };
  } catch (error) {
    return { checked: "http", reachable: false, status: null, error: failureCode(error) };
  }
}

function failureCode(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return "timeout";
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === "string" ? cause.code : "no answer";
}

async function backlogOf(bus: Bus, endpointId: string): Promise<EndpointCheck["backlog"]> {
  try {
    const backlog = await readConsumerBacklog(bus.jsm, bus.topology.streams.outbox, dispatchDurableName(endpointId));
    return {
      pending: backlog.pending,
      ackPending: backlog.ackPending,
      oldestUnackedSeconds: Math.round(backlog.oldestUnackedSeconds),
    };
  } catch (error) {
    if (isJetStreamNotFound(error, "consumer") || isJetStreamNotFound(error, "stream")) return null;
    throw error;
  }
}

async function lastDeliveryAt(store: CheckDeps["store"], endpointId: string): Promise<string | null> {
  const page = await store.listMessages({ receiver: endpointId, limit: LAST_DELIVERY_SCAN });
  let last: string | null = null;
  for (const summary of page.items) {
    const message = await store.getMessage(summary.hubId);
    const deliveredAt = message?.perReceiver.find((r) => r.endpoint === endpointId)?.deliveredAt;
    if (deliveredAt !== undefined && (last === null || deliveredAt > last)) last = deliveredAt;
  }
  return last;
}

export async function checkEndpoint(endpoint: Endpoint, deps: CheckDeps): Promise<EndpointCheck> {
  const circuits = new CircuitStore(
    deps.redis,
    dispatchKeys(deps.bus.topology.namespace).circuit,
    DEFAULT_CIRCUIT_POLICY,
  );
  const [reachability, circuit, backlog, last] = await Promise.all([
    checkReachability(endpoint),
    circuits.state(endpoint.id),
    backlogOf(deps.bus, endpoint.id),
    lastDeliveryAt(deps.store, endpoint.id),
  ]);
  return {
    id: endpoint.id,
    healthy: reachability.reachable && circuit.state === "closed",
    reachability,
    circuit: circuit.state,
    backlog,
    lastDeliveryAt: last,
  };
}

function reachabilityText(r: Reachability): string {
  if (r.checked === "nats") return "nats inbox";
  return r.status === null ? `no answer (${r.error ?? "-"})` : `HTTP ${r.status}`;
}

/** Checks the endpoints (all, or the one named) and prints them; exit 1 when any is unhealthy. */
export async function printEndpointChecks(
  endpoints: readonly Endpoint[],
  deps: CheckDeps,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; json: boolean },
): Promise<number> {
  const checks = await Promise.all(endpoints.map((endpoint) => checkEndpoint(endpoint, deps)));
  if (io.json) {
    for (const check of checks) io.stdout.write(`${JSON.stringify(check)}\n`);
  } else {
    const cells = checks.map((c) => [
      c.id,
      c.healthy ? "ok" : "UNHEALTHY",
      reachabilityText(c.reachability),
      c.circuit,
      c.backlog === null ? "-" : `${c.backlog.pending + c.backlog.ackPending}`,
      c.lastDeliveryAt ?? "-",
    ]);
    io.stdout.write(`${table(["ID", "HEALTH", "WEBHOOK", "CIRCUIT", "BACKLOG", "LAST DELIVERY"], cells)}\n`);
  }
  const unhealthy = checks.filter((c) => !c.healthy).length;
  io.stderr.write(`carehub endpoints check: ${checks.length} endpoint(s), ${unhealthy} unhealthy\n`);
  return unhealthy === 0 ? 0 : 1;
}

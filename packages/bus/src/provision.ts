import type { ConsumerConfig, ConsumerInfo, JetStreamManager, StreamConfig } from "@nats-io/jetstream";
import { BusNameError, BusProvisionError } from "./errors.ts";
import { isJetStreamNotFound } from "./nats-errors.ts";
import { OUTBOX_REFERENCE_MARGIN_MS } from "./payload-reference.ts";
import type { CarehubStreamConfig } from "./topology.ts";

export interface StreamProvisionResult {
  stream: string;
  action: "created" | "updated" | "unchanged";
  /** For `updated`: the fields changed, as `field: old → new`. */
  changes: string[];
  /**
   * Settings of the existing stream kept although the configuration asks for less, as
   * `num_replicas: 3 kept (configured 1)`: provisioning never lowers a stream's replicas.
   */
  kept: string[];
}

export interface ProvisionReport {
  streams: StreamProvisionResult[];
  /** True when nothing had to be created or changed (settings kept against the configuration included). */
  unchanged: boolean;
}

/** Settings that cannot change on a live stream without losing its meaning (or that JetStream refuses to change). */
const FIXED_STREAM_FIELDS = ["subjects", "storage", "retention"] as const;
const UPDATABLE_STREAM_FIELDS = [
  "max_age",
  "max_bytes",
  "duplicate_window",
  "discard",
  "num_replicas",
  "allow_direct",
] as const;

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && [...a].sort().join("\u0000") === [...b].sort().join("\u0000");
  }
  return a === b;
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

/** What to do with one stream, decided before anything is changed. */
type StreamPlan =
  | { kind: "create"; wanted: CarehubStreamConfig }
  | { kind: "update"; wanted: CarehubStreamConfig; changes: string[]; kept: string[] }
  | { kind: "unchanged"; wanted: CarehubStreamConfig; kept: string[] };

/**
 * The wanted stream as it will be applied to an existing one: never with fewer replicas than it has. Lowering
 * replicas drops copies an operator made on purpose (a node's loss would then stop the stream), so
 * provisioning keeps them and says so; lowering is an operator's deliberate act (docs/operations.md).
 */
export function keepReplicas(
  existing: Partial<StreamConfig>,
  wanted: CarehubStreamConfig,
): { wanted: CarehubStreamConfig; kept: string[] } {
  const has = existing.num_replicas ?? 1;
  if (has <= wanted.num_replicas) return { wanted, kept: [] };
  return {
    wanted: { ...wanted, num_replicas: has },
    kept: [`num_replicas: ${has} kept (configured ${wanted.num_replicas})`],
  };
}

/** Compares an existing stream with the wanted one: the fixed fields that differ, and the updatable ones. */
export function diffStream(
  existing: Partial<StreamConfig>,
  wanted: CarehubStreamConfig,
): { incompatible: string[]; changes: string[] } {
  const incompatible: string[] = [];
  const changes: string[] = [];
  for (const field of FIXED_STREAM_FIELDS) {
    if (!same(existing[field], wanted[field])) {
      incompatible.push(`${wanted.name}.${field}: is ${show(existing[field])}, wanted ${show(wanted[field])}`);
    }
  }
  for (const field of UPDATABLE_STREAM_FIELDS) {
    if (!same(existing[field], wanted[field])) {
      changes.push(`${field}: ${show(existing[field])} → ${show(wanted[field])}`);
    }
  }
  return { incompatible, changes };
}

/**
 * With CAREHUB_OUTBOX_BY_REFERENCE on (`references` given), refuses to shorten a live INGRESS's `max_age` below
 * OUTBOX's plus the reference margin (docs/decisions/0109):
 * OUTBOX entries written by reference under the longer age would outlive the INGRESS copies they name. Lengthening,
 * a new stream, or a shortening that still leaves INGRESS the longer keep by the margin are let through.
 */
function shortensIngress(
  existing: Partial<StreamConfig>,
  wanted: CarehubStreamConfig,
  outboxAgeNanos: number,
): string[] {
  const has = existing.max_age ?? 0;
  const want = wanted.max_age;
  if (want === 0 || (has !== 0 && has <= want)) return [];
  const floor = outboxAgeNanos === 0 ? 0 : outboxAgeNanos + OUTBOX_REFERENCE_MARGIN_MS * 1_000_000;
  if (outboxAgeNanos !== 0 && want >= floor) return [];
  return [
    `${wanted.name}.max_age: shortening it to ${show(want)} ns leaves INGRESS no longer than OUTBOX (${show(outboxAgeNanos)} ns) plus ${OUTBOX_REFERENCE_MARGIN_MS / 60_000} min: OUTBOX copies by reference could outlive their INGRESS copies (docs/decisions/0109); shorten OUTBOX first, or apply the stream change by hand once no copy by reference is left`,
  ];
}

/**
 * Creates missing streams and updates compatible differences. Every stream is inspected first: if any
 * is incompatible, nothing is changed and one BusProvisionError lists every problem.
 */
export async function provisionStreams(
  jsm: JetStreamManager,
  wanted: readonly CarehubStreamConfig[],
  references?: { ingress: string; outbox: string },
): Promise<ProvisionReport> {
  const plans: StreamPlan[] = [];
  const incompatible: string[] = [];
  const outboxAgeNanos = wanted.find((config) => config.name === references?.outbox)?.max_age ?? 0;
  for (const config of wanted) {
    let existing: StreamConfig | undefined;
    try {
      existing = (await jsm.streams.info(config.name)).config;
    } catch (error) {
      if (!isJetStreamNotFound(error, "stream")) {
        throw new BusProvisionError("CAREHUB_ERR_BUS_PROVISION_FAILED", [`${config.name}: ${String(error)}`], {
          cause: error,
        });
      }
    }
    if (existing === undefined) {
      plans.push({ kind: "create", wanted: config });
      continue;
    }
    const { wanted: applied, kept } = keepReplicas(existing, config);
    const diff = diffStream(existing, applied);
    incompatible.push(...diff.incompatible);
    if (config.name === references?.ingress) incompatible.push(...shortensIngress(existing, config, outboxAgeNanos));
    plans.push(
      diff.changes.length > 0
        ? { kind: "update", wanted: applied, changes: diff.changes, kept }
        : { kind: "unchanged", wanted: applied, kept },
    );
  }
  if (incompatible.length > 0) throw new BusProvisionError("CAREHUB_ERR_BUS_INCOMPATIBLE_STREAM", incompatible);

  const results: StreamProvisionResult[] = [];
  for (const plan of plans) {
    const { name, ...rest } = plan.wanted;
    try {
      if (plan.kind === "create") {
        await jsm.streams.add({ name, ...rest });
        results.push({ stream: name, action: "created", changes: [], kept: [] });
      } else if (plan.kind === "update") {
        const { storage: _storage, retention: _retention, ...updatable } = rest;
        await jsm.streams.update(name, updatable);
        results.push({ stream: name, action: "updated", changes: plan.changes, kept: plan.kept });
      } else {
        results.push({ stream: name, action: "unchanged", changes: [], kept: plan.kept });
      }
    } catch (error) {
      throw new BusProvisionError("CAREHUB_ERR_BUS_PROVISION_FAILED", [`${name} (${plan.kind}): ${String(error)}`], {
        cause: error,
      });
    }
  }
  return { streams: results, unchanged: results.every((r) => r.action === "unchanged") };
}

/** A durable pull consumer with explicit acks. */
export interface DurableConsumerSpec {
  durable: string;
  /** One subject (wildcards allowed); default: the whole stream. */
  filterSubject?: string;
  /** Default 30 s. */
  ackWaitMs?: number;
  /**
   * Deliveries before a failing message goes to the DLQ; default 10. `Infinity` (or ≤ 0) = never by count:
   * for consumers that count attempts themselves and dead-letter on their own terms.
   */
  maxDeliver?: number;
  maxAckPending?: number;
  /** nak delays by delivery count for retryable errors (client side); default 1 s doubling to 60 s. */
  backoffMs?: number[];
}

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 10;

/** The wrapper's limit: a positive integer, or Infinity for "no limit". */
export function effectiveMaxDeliver(maxDeliver: number | undefined): number {
  const value = maxDeliver ?? DEFAULT_MAX_DELIVER;
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : Number.POSITIVE_INFINITY;
}

function serverMaxDeliver(maxDeliver: number | undefined): number {
  const value = effectiveMaxDeliver(maxDeliver);
  return Number.isFinite(value) ? value + 1 : -1;
}

const DURABLE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The server-side consumer config for a spec. The server's max_deliver is one more than the spec's:
 * the bus dead-letters a failing message itself at `maxDeliver`, and the one extra delivery catches a
 * message whose handler crashed the process every time, so it is dead-lettered instead of silently
 * dropped by JetStream. No `num_replicas`: a consumer left at the server's 0 is replicated as its stream is,
 * and follows it when provisioning raises the stream's replicas (replication.int.test.ts), so a kept R3 stream
 * never gets R1 consumers.
 */
export function consumerConfig(spec: DurableConsumerSpec): Partial<ConsumerConfig> {
  if (!DURABLE.test(spec.durable))
    throw new BusNameError(`invalid durable consumer name ${JSON.stringify(spec.durable)}`);
  const config: Partial<ConsumerConfig> = {
    durable_name: spec.durable,
    ack_policy: "explicit",
    deliver_policy: "all",
    replay_policy: "instant",
    ack_wait: (spec.ackWaitMs ?? DEFAULT_ACK_WAIT_MS) * 1_000_000,
    max_deliver: serverMaxDeliver(spec.maxDeliver),
  };
  if (spec.filterSubject !== undefined) config.filter_subject = spec.filterSubject;
  if (spec.maxAckPending !== undefined) config.max_ack_pending = spec.maxAckPending;
  return config;
}

export function diffConsumer(
  stream: string,
  existing: Partial<ConsumerConfig>,
  wanted: Partial<ConsumerConfig>,
): { incompatible: string[]; changes: string[] } {
  const name = `${stream}/${wanted.durable_name ?? "?"}`;
  const incompatible: string[] = [];
  const changes: string[] = [];
  if (existing.deliver_subject) incompatible.push(`${name}: is a push consumer, wanted a pull consumer`);
  if ((existing.filter_subject ?? "") !== (wanted.filter_subject ?? "")) {
    incompatible.push(
      `${name}.filter_subject: is ${show(existing.filter_subject ?? "")}, wanted ${show(wanted.filter_subject ?? "")}`,
    );
  }
  for (const field of ["ack_policy", "deliver_policy"] as const) {
    if (existing[field] !== wanted[field]) {
      incompatible.push(`${name}.${field}: is ${show(existing[field])}, wanted ${show(wanted[field])}`);
    }
  }
  for (const field of ["ack_wait", "max_deliver", "max_ack_pending"] as const) {
    if (wanted[field] !== undefined && existing[field] !== wanted[field]) {
      changes.push(`${field}: ${show(existing[field])} → ${show(wanted[field])}`);
    }
  }
  return { incompatible, changes };
}

/** Creates the durable consumer or updates compatible differences; incompatible ones throw. */
export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  stream: string,
  spec: DurableConsumerSpec,
): Promise<"created" | "updated" | "unchanged"> {
  const wanted = consumerConfig(spec);
  let existing: ConsumerInfo | undefined;
  try {
    existing = await jsm.consumers.info(stream, spec.durable);
  } catch (error) {
    if (!isJetStreamNotFound(error, "consumer")) {
      throw new BusProvisionError("CAREHUB_ERR_BUS_PROVISION_FAILED", [`${stream}/${spec.durable}: ${String(error)}`], {
        cause: error,
      });
    }
  }
  try {
    if (existing === undefined) {
      await jsm.consumers.add(stream, wanted);
      return "created";
    }
    const diff = diffConsumer(stream, existing.config, wanted);
    if (diff.incompatible.length > 0)
      throw new BusProvisionError("CAREHUB_ERR_BUS_INCOMPATIBLE_CONSUMER", diff.incompatible);
    if (diff.changes.length === 0) return "unchanged";
    const { ack_wait, max_deliver, max_ack_pending } = wanted;
    await jsm.consumers.update(stream, spec.durable, {
      ...(ack_wait === undefined ? {} : { ack_wait }),
      ...(max_deliver === undefined ? {} : { max_deliver }),
      ...(max_ack_pending === undefined ? {} : { max_ack_pending }),
    });
    return "updated";
  } catch (error) {
    if (error instanceof BusProvisionError) throw error;
    throw new BusProvisionError("CAREHUB_ERR_BUS_PROVISION_FAILED", [`${stream}/${spec.durable}: ${String(error)}`], {
      cause: error,
    });
  }
}

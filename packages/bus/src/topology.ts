import { STREAM_CLASSES, type StreamClass } from "@carehub/schemas";
import type { StreamConfig } from "@nats-io/jetstream";
import { BusNameError } from "./errors.ts";

/** One stream per role; the roles are the stream classes the configuration names (CAREHUB_STREAM_REPLICAS). */
export const STREAM_ROLES = STREAM_CLASSES;
export type StreamRole = StreamClass;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Retention of each stream (docs/contracts.md, docs/decisions/0004-stream-layout.md). */
export interface RetentionSettings {
  ingressMaxAgeMs: number;
  /** -1 = unlimited. */
  ingressMaxBytes: number;
  pipelineMaxAgeMs: number;
  outboxMaxAgeMs: number;
  eventsMaxAgeMs: number;
  dlqMaxAgeMs: number;
  inboxMaxAgeMs: number;
  /** The query API's access records: kept for years (HubConfig `auditRetentionDays`, docs/decisions/0012). */
  auditMaxAgeMs: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate. */
  duplicateWindowMs: number;
}

/** The read model's default retention (HubConfig `retentionDays`, CAREHUB_RETENTION_DAYS), in days. */
export const DEFAULT_READ_MODEL_RETENTION_DAYS = 90;

/** The AUDIT stream's default retention (HubConfig `auditRetentionDays`): five years with their leap days. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 1827;

export const DEFAULT_RETENTION: Readonly<RetentionSettings> = Object.freeze({
  ingressMaxAgeMs: 30 * DAY_MS,
  ingressMaxBytes: -1,
  // `carehub rebuild` replays PIPELINE (business state) and EVENTS (timelines): both must hold as long as
  // the read model keeps what it built from them (docs/decisions/0004).
  pipelineMaxAgeMs: DEFAULT_READ_MODEL_RETENTION_DAYS * DAY_MS,
  outboxMaxAgeMs: 7 * DAY_MS,
  eventsMaxAgeMs: DEFAULT_READ_MODEL_RETENTION_DAYS * DAY_MS,
  dlqMaxAgeMs: 90 * DAY_MS,
  inboxMaxAgeMs: 30 * DAY_MS,
  auditMaxAgeMs: DEFAULT_AUDIT_RETENTION_DAYS * DAY_MS,
  duplicateWindowMs: 10 * 60 * 1000,
});

/**
 * The stream retention a hub whose read model keeps `retentionDays` needs: PIPELINE and EVENTS, the streams a
 * rebuild replays, kept exactly as long as the read model (never longer than needed, never shorter than a
 * rebuild must reach back). Every service passes the same HubConfig, so every provisioning agrees.
 */
export function readModelRetention(
  retentionDays: number,
): Pick<RetentionSettings, "pipelineMaxAgeMs" | "eventsMaxAgeMs"> {
  const ms = retentionDays * DAY_MS;
  return { pipelineMaxAgeMs: ms, eventsMaxAgeMs: ms };
}

/**
 * The stream retention of a hub that keeps messages `retentionDays` (CAREHUB_RETENTION_DAYS): PIPELINE and EVENTS
 * exactly that long (`readModelRetention`), and no other stream that holds messages longer — INGRESS, OUTBOX,
 * DLQ and INBOX keep their own shorter ages (DEFAULT_RETENTION) and are cut to the retention when it is shorter.
 * So a message older than the retention has left every stream as it leaves the read model (docs/operations.md,
 * "Retention"). AUDIT has its own retention (access records, `auditRetention`). JetStream refuses a duplicate
 * window longer than a stream's age, so a retention under ten minutes shortens that too.
 */
export function messageRetention(retentionDays: number): Omit<RetentionSettings, "auditMaxAgeMs" | "ingressMaxBytes"> {
  const ms = retentionDays * DAY_MS;
  const capped = (defaultMs: number): number => Math.min(defaultMs, ms);
  return {
    ...readModelRetention(retentionDays),
    ingressMaxAgeMs: capped(DEFAULT_RETENTION.ingressMaxAgeMs),
    outboxMaxAgeMs: capped(DEFAULT_RETENTION.outboxMaxAgeMs),
    dlqMaxAgeMs: capped(DEFAULT_RETENTION.dlqMaxAgeMs),
    inboxMaxAgeMs: capped(DEFAULT_RETENTION.inboxMaxAgeMs),
    duplicateWindowMs: capped(DEFAULT_RETENTION.duplicateWindowMs),
  };
}

/** The AUDIT stream's age for a hub that keeps access records `auditRetentionDays` days. */
export function auditRetention(auditRetentionDays: number): Pick<RetentionSettings, "auditMaxAgeMs"> {
  return { auditMaxAgeMs: auditRetentionDays * DAY_MS };
}

export interface StreamConfigOptions {
  /** Copies of every stream, or per role (a role not named: 1). Resolved from the setting by the bus. */
  replicas?: number | Readonly<Partial<Record<StreamRole, number>>>;
  retention?: Partial<RetentionSettings>;
}

/** The stream settings carehub owns; everything else is left at the server's default. */
export type CarehubStreamConfig = Pick<
  StreamConfig,
  | "name"
  | "subjects"
  | "storage"
  | "retention"
  | "discard"
  | "max_age"
  | "max_bytes"
  | "duplicate_window"
  | "num_replicas"
  | "allow_direct"
> & { description: string };

export interface Topology {
  readonly namespace: string;
  readonly streams: Readonly<Record<StreamRole, string>>;
  /** The object store bucket that holds claim-checked payloads (`<NS>_PAYLOADS`; its stream is `OBJ_<NS>_PAYLOADS`). */
  readonly payloadBucket: string;
  readonly subjects: {
    ingress(endpointId: string): string;
    pipeline(kind: string): string;
    outbox(endpointId: string): string;
    events(type: string): string;
    dlq(stage: string): string;
    inbox(endpointId: string): string;
    /**
     * `<ns>.audit.<resource>.<verb>.<actor type>.<actor id>` for one access record, e.g.
     * `carehub.audit.message.read.operator.alice`, so `carehub audit` filters by action and actor on the server.
     */
    audit(action: string, actorType: string, actorId: string): string;
    /** The filter for access records of one action and / or actor (either may be undefined: any). */
    auditFilter(filter: { action?: string; actorId?: string }): string;
    /** Plain NATS subject (not stored) for business status announcements. */
    status(endpointId: string): string;
    /** `<ns>.<role>.>` for each stream, plus `status`. */
    readonly all: Readonly<Record<StreamRole | "status", string>>;
  };
  /** The stream that stores `subject`, or undefined when none of this namespace's streams does. */
  streamOf(subject: string): string | undefined;
  streamConfigs(options?: StreamConfigOptions): CarehubStreamConfig[];
}

/**
 * The durable consumer that takes every INGRESS message (services/intake): its pending and unacknowledged
 * messages are the hub's intake backlog, which the gateway's CAREHUB_MAX_INGRESS_BACKLOG bound reads.
 */
export const INGRESS_CONSUMER = "intake";

/**
 * The streams the hub reads single messages back from by sequence (the router the payload from INGRESS, a resend
 * from OUTBOX): they answer direct gets, which cost the server and the client about half of a stream-API get
 * (bus.getMessage, docs/decisions/0094).
 */
const DIRECT_GET_ROLES: ReadonlySet<StreamRole> = new Set(["ingress", "outbox"]);

const NAMESPACE = /^[a-z][a-z0-9-]{0,30}$/;
// One subject token: no dots, wildcards or whitespace. `*` alone is allowed for filters.
const TOKEN = /^(?:[A-Za-z0-9_-]+|\*)$/;

function token(kind: string, value: string): string {
  if (!TOKEN.test(value)) throw new BusNameError(`invalid ${kind} for a subject token: ${JSON.stringify(value)}`);
  return value;
}

const DESCRIPTIONS: Record<StreamRole, string> = {
  ingress: "carehub: every message exactly as received (archive, replay source)",
  pipeline: "carehub: canonical envelopes after validation",
  outbox: "carehub: bytes to deliver, one subject per receiving endpoint",
  events: "carehub: lifecycle events",
  dlq: "carehub: dead letters with the reason in headers",
  inbox: "carehub: delivered bytes for endpoints in NATS delivery mode",
  audit: "carehub: access records of the query API (who read what, when, allowed or not)",
};

function maxAgeMs(role: StreamRole, retention: RetentionSettings): number {
  switch (role) {
    case "ingress":
      return retention.ingressMaxAgeMs;
    case "pipeline":
      return retention.pipelineMaxAgeMs;
    case "outbox":
      return retention.outboxMaxAgeMs;
    case "events":
      return retention.eventsMaxAgeMs;
    case "dlq":
      return retention.dlqMaxAgeMs;
    case "inbox":
      return retention.inboxMaxAgeMs;
    case "audit":
      return retention.auditMaxAgeMs;
  }
}

/** An audit action is two subject tokens, `<resource>.<verb>` (schemas/src/audit.ts). */
function auditAction(action: string): string {
  const parts = action.split(".");
  if (parts.length !== 2 || parts.some((part) => part === "*")) {
    throw new BusNameError(`invalid audit action ${JSON.stringify(action)}: <resource>.<verb>, e.g. message.read`);
  }
  return parts.map((part) => token("audit action", part)).join(".");
}

// Whole nanoseconds: a retention given in fractions of a day need not be a whole number of milliseconds.
const msToNanos = (ms: number): number => Math.round(ms * 1_000_000);

/** Every stream name and subject of a hub, computed from its namespace (docs/contracts.md). */
export function topology(namespace = "carehub"): Topology {
  if (!NAMESPACE.test(namespace)) {
    throw new BusNameError(`invalid namespace ${JSON.stringify(namespace)}: lower-case letters, digits and dashes`);
  }
  const prefix = namespace.toUpperCase().replace(/-/g, "_");
  const streams = Object.freeze(
    Object.fromEntries(STREAM_ROLES.map((role) => [role, `${prefix}_${role.toUpperCase()}`])) as Record<
      StreamRole,
      string
    >,
  );
  const all = Object.freeze(
    Object.fromEntries([...STREAM_ROLES, "status"].map((role) => [role, `${namespace}.${role}.>`])) as Record<
      StreamRole | "status",
      string
    >,
  );
  const subjects = Object.freeze({
    ingress: (endpointId: string) => `${namespace}.ingress.${token("endpoint id", endpointId)}`,
    pipeline: (kind: string) => `${namespace}.pipeline.${token("kind", kind)}`,
    outbox: (endpointId: string) => `${namespace}.outbox.${token("endpoint id", endpointId)}`,
    events: (type: string) => `${namespace}.events.${token("event type", type)}`,
    dlq: (stage: string) => `${namespace}.dlq.${token("stage", stage)}`,
    inbox: (endpointId: string) => `${namespace}.inbox.${token("endpoint id", endpointId)}`,
    status: (endpointId: string) => `${namespace}.status.${token("endpoint id", endpointId)}`,
    audit: (action: string, actorType: string, actorId: string) =>
      `${namespace}.audit.${auditAction(action)}.${token("actor type", actorType)}.${token("actor id", actorId)}`,
    auditFilter: (filter: { action?: string; actorId?: string }) =>
      `${namespace}.audit.${filter.action === undefined ? "*.*" : auditAction(filter.action)}.*.${
        filter.actorId === undefined ? "*" : token("actor id", filter.actorId)
      }`,
    all,
  });
  const rolePrefix = `${namespace}.`;
  return Object.freeze({
    namespace,
    streams,
    payloadBucket: `${prefix}_PAYLOADS`,
    subjects,
    streamOf(subject: string): string | undefined {
      if (!subject.startsWith(rolePrefix)) return undefined;
      const role = subject.slice(rolePrefix.length, subject.indexOf(".", rolePrefix.length));
      return (STREAM_ROLES as readonly string[]).includes(role) ? streams[role as StreamRole] : undefined;
    },
    streamConfigs(options: StreamConfigOptions = {}): CarehubStreamConfig[] {
      const retention = { ...DEFAULT_RETENTION, ...options.retention };
      const replicas = (role: StreamRole): number =>
        typeof options.replicas === "number" ? options.replicas : (options.replicas?.[role] ?? 1);
      return STREAM_ROLES.map((role) => ({
        name: streams[role],
        description: DESCRIPTIONS[role],
        subjects: [all[role]],
        storage: "file",
        retention: "limits",
        discard: "old",
        max_age: msToNanos(maxAgeMs(role, retention)),
        max_bytes: role === "ingress" ? retention.ingressMaxBytes : -1,
        duplicate_window: msToNanos(retention.duplicateWindowMs),
        num_replicas: replicas(role),
        allow_direct: DIRECT_GET_ROLES.has(role),
      }));
    },
  });
}

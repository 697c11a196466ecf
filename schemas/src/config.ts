import { z } from "zod";
import { PayloadKeyring, parsePayloadKeys } from "./payload-keys.ts";
import { DEFAULT_STREAM_REPLICAS, parseStreamReplicas, StreamReplicas } from "./stream-replicas.ts";

/** One sentinel of CAREHUB_REDIS_SENTINELS. */
export const SentinelAddress = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) });
export type SentinelAddress = z.infer<typeof SentinelAddress>;

/** `host:port,host:port` into addresses; a problem names the entry's position, never its text. */
export function parseSentinelList(text: string): SentinelAddress[] | { problem: string } {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const addresses: SentinelAddress[] = [];
  for (const [index, entry] of entries.entries()) {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 65535) {
      return { problem: `entry ${index + 1} is not host:port (a comma-separated list of sentinels)` };
    }
    addresses.push({ host: (match[1] as string).replace(/^\[(.*)\]$/, "$1"), port });
  }
  return addresses;
}

/**
 * Process configuration shared by every service, parsed once at start-up from the environment
 * (`parseHubConfig(process.env)`), frozen, and passed down. No module reads process.env on import.
 */
/** The spellings of an on/off setting. */
const SWITCH: Readonly<Record<string, boolean>> = {
  true: true,
  "1": true,
  on: true,
  false: false,
  "0": false,
  off: false,
};

export const HubConfig = z.object({
  /**
   * Which defaults apply to the settings not given (CAREHUB_PROFILE): `production` (the default), or `test` —
   * for tests and benchmarks on a shared machine, where no load is shed for the event loop's lateness or the
   * INGRESS backlog (PROFILE_DEFAULTS). A setting given explicitly wins over its profile's default.
   */
  profile: z.enum(["production", "test"]).default("production"),
  natsUrl: z.string().default("nats://127.0.0.1:4222"),
  natsUser: z.string().optional(),
  natsPass: z.string().optional(),
  redisUrl: z.string().default("redis://127.0.0.1:6379"),
  /**
   * Redis through Sentinel (CAREHUB_REDIS_SENTINELS=`host:port,host:port,...`): the hub asks these sentinels
   * for the current primary of `redisSentinelName` and follows it on failover. Empty: `redisUrl` is the server.
   */
  redisSentinels: z
    .preprocess((value, ctx) => {
      if (typeof value !== "string") return value;
      const parsed = parseSentinelList(value);
      if (Array.isArray(parsed)) return parsed;
      ctx.addIssue({ code: "custom", message: parsed.problem, input: value });
      return z.NEVER;
    }, z.array(SentinelAddress).readonly())
    .default([]),
  /** The primary's name in the sentinels' configuration (`sentinel monitor <name> ...`). */
  redisSentinelName: z.string().min(1).default("carehub"),
  /** Prefix of every stream, subject and Redis key this hub owns (see docs/contracts.md). */
  namespace: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, "lower-case letters, digits and dashes, starting with a letter")
    .default("carehub"),
  /** The endpoint registry file (YAML or JSON). */
  registryPath: z.string().default("infra/endpoints.yaml"),
  httpHost: z.string().default("127.0.0.1"),
  httpPort: z.coerce.number().int().min(0).max(65535).default(8080),
  /**
   * Where every `carehub start` process serves `/healthz`, `/readyz` and `/metrics` (on `httpHost`), whichever
   * services it runs. Two processes on one host need two ports; 0 picks a free one (printed at start).
   */
  opsPort: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Largest message body the gateway accepts, in bytes. */
  maxBodyBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  /**
   * Back-pressure at the gateway (docs/runbook.md, "Overload"): at most this many requests in flight; beyond
   * it the gateway answers 503 `CAREHUB_ERR_GATEWAY_OVERLOADED` with `Retry-After` at once. Sized for 2 cores.
   */
  maxInflightRequests: z.coerce.number().int().positive().default(128),
  /**
   * At most this many request-body bytes in flight (each upload counts its Content-Length, or the body limit
   * when it sends none, from the moment it is admitted): bounds the memory slow or many uploads can hold.
   */
  maxInflightBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /**
   * Open connections on the gateway's API port beyond which every request on it is refused at once (503
   * `CAREHUB_ERR_GATEWAY_OVERLOADED`, `Retry-After`, connection closed); beyond twice as many new connections are
   * dropped unanswered. Bounds what idle and waiting senders' sockets hold. Probes belong on CAREHUB_OPS_PORT.
   */
  maxConnections: z.coerce.number().int().positive().default(512),
  /**
   * The gateway refuses new requests (503 as above) while its event loop runs this many ms late, so the work it
   * admits never starves its own answers (`/healthz`, refusals); 0 turns the bound off.
   */
  maxEventLoopLagMs: z.coerce.number().int().min(0).default(50),
  /**
   * The gateway refuses new messages (503 `CAREHUB_ERR_GATEWAY_INGRESS_BACKLOG`, `Retry-After`) while more than this
   * many INGRESS messages wait for intake (its consumer's pending and unacknowledged messages, read once a
   * second): a sender learns the hub is behind instead of getting 202 for a message an hour from being read;
   * 0 turns the bound off (docs/decisions/0084-refuse-when-ingress-is-behind.md).
   */
  maxIngressBacklog: z.coerce.number().int().min(0).default(100_000),
  /** A request whose body has not fully arrived after this long is cut off (slow senders hold nothing for long). */
  requestTimeoutMs: z.coerce.number().int().positive().default(60_000),
  /**
   * How long a starting process waits for NATS and Redis, retrying with backoff, before it gives up and exits;
   * 0 (the default) waits as long as it takes, saying so on `/readyz` (docs/runbook.md, "Start-up order").
   */
  startTimeoutMs: z.coerce.number().int().min(0).default(0),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** Key for the keyed hash of patient identifiers in the read model (HMAC-SHA256). */
  patientHashKey: z.string().min(16).default("carehub-development-only-key-change-me"),
  /**
   * How long the hub keeps a message, in days (fractions allowed: `0.5` is 12 hours): the read model's records,
   * indexes and markers, and every stream that holds messages — none keeps one longer (docs/operations.md,
   * "Retention"). Redis TTLs take it in whole seconds (`retentionSeconds`).
   */
  retentionDays: z.coerce.number().positive().default(90),
  /**
   * How long the AUDIT stream keeps access records, in days. Default five years (1827 days: any five-year span
   * with its leap days), what Danish health-data rules ask of access logs (docs/decisions/0012).
   */
  auditRetentionDays: z.coerce.number().int().positive().default(1827),
  /**
   * Size budget of each stream that holds messages (INGRESS, PIPELINE, OUTBOX, EVENTS, DLQ, INBOX), in bytes;
   * 0 (the default): none. The tracker's sweep purges a stream's oldest messages down to it, never past what
   * every consumer of the stream has acknowledged, and the read model's records of the messages purged from
   * PIPELINE or EVENTS leave with them (docs/operations.md "Retention", docs/decisions/0074).
   */
  streamMaxBytes: z.coerce.number().int().min(0).default(0),
  /**
   * Whether the router may write a receiver's copy as a reference to the message's INGRESS copy instead of its
   * bytes (CAREHUB_OUTBOX_BY_REFERENCE, `true` / `false`; default false: every copy inline), docs/decisions/0109.
   * Turn it on only once every dispatcher and console runs this release (an older one delivers a reference as an
   * empty body); never together with a size budget (`streamMaxBytes`), which purges INGRESS without regard to
   * OUTBOX: `parseHubConfig` refuses the pair.
   */
  outboxByReference: z
    .preprocess(
      (value) => (typeof value === "string" ? (SWITCH[value.trim().toLowerCase()] ?? value) : value),
      z.boolean(),
    )
    .default(false),
  /**
   * Copies JetStream keeps of each stream class (CAREHUB_STREAM_REPLICAS, e.g. `3` or `auto,outbox=1`): `auto`
   * = 1 on a single server, 3 on a cluster. Provisioning raises a stream to it but never lowers one
   * (docs/operations.md).
   */
  streamReplicas: z
    .preprocess((value, ctx) => {
      if (typeof value !== "string") return value;
      const parsed = parseStreamReplicas(value);
      if ("value" in parsed) return parsed.value;
      for (const problem of parsed.problems) ctx.addIssue({ code: "custom", message: problem, input: value });
      return z.NEVER;
    }, StreamReplicas)
    .default(DEFAULT_STREAM_REPLICAS),
  /**
   * Keys that encrypt message payloads at rest in the hub's own streams (CAREHUB_PAYLOAD_KEYS,
   * `<id>:<base64 32 bytes>,…`, newest first; AES-256-GCM). Empty (the default): stored as received. Rotation:
   * put a new key first, keep the old ones until nothing sealed with them is left (docs/operations.md).
   */
  payloadKeys: z
    .preprocess((value, ctx) => {
      if (typeof value !== "string") return value;
      const parsed = parsePayloadKeys(value);
      if ("value" in parsed) return parsed.value;
      // The problems name keys by position and id: the setting's text (the keys) is never echoed.
      for (const problem of parsed.problems) ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }, PayloadKeyring)
    .default([]),
});
export type HubConfig = Readonly<z.infer<typeof HubConfig>>;
export type HubProfile = HubConfig["profile"];

/**
 * The defaults each profile puts before the schema's own (the one place a profile is spelled out). `test`: no
 * load shedding by lateness (a shared test machine's stalls would refuse requests most tests send once, without
 * retrying as the SDK does) nor by INGRESS backlog (tests and benches build backlogs on purpose); a test that
 * means to exercise either bound sets it explicitly.
 */
export const PROFILE_DEFAULTS: Readonly<Record<HubProfile, Readonly<Partial<HubConfig>>>> = {
  production: {},
  test: { maxEventLoopLagMs: 0, maxIngressBacklog: 0 },
};

/** The environment variable behind each setting of HubConfig. */
export const HUB_CONFIG_ENV: Readonly<Record<keyof z.input<typeof HubConfig>, string>> = {
  profile: "CAREHUB_PROFILE",
  natsUrl: "NATS_URL",
  natsUser: "NATS_USER",
  natsPass: "NATS_PASS",
  redisUrl: "REDIS_URL",
  redisSentinels: "CAREHUB_REDIS_SENTINELS",
  redisSentinelName: "CAREHUB_REDIS_SENTINEL_NAME",
  namespace: "CAREHUB_NAMESPACE",
  registryPath: "CAREHUB_REGISTRY",
  httpHost: "CAREHUB_HTTP_HOST",
  httpPort: "CAREHUB_HTTP_PORT",
  opsPort: "CAREHUB_OPS_PORT",
  maxBodyBytes: "CAREHUB_MAX_BODY_BYTES",
  maxInflightRequests: "CAREHUB_MAX_INFLIGHT_REQUESTS",
  maxInflightBytes: "CAREHUB_MAX_INFLIGHT_BYTES",
  maxConnections: "CAREHUB_MAX_CONNECTIONS",
  maxEventLoopLagMs: "CAREHUB_MAX_EVENT_LOOP_LAG_MS",
  maxIngressBacklog: "CAREHUB_MAX_INGRESS_BACKLOG",
  requestTimeoutMs: "CAREHUB_HTTP_REQUEST_TIMEOUT_MS",
  startTimeoutMs: "CAREHUB_START_TIMEOUT_MS",
  logLevel: "LOG_LEVEL",
  patientHashKey: "CAREHUB_PATIENT_HASH_KEY",
  retentionDays: "CAREHUB_RETENTION_DAYS",
  auditRetentionDays: "CAREHUB_AUDIT_RETENTION_DAYS",
  streamMaxBytes: "CAREHUB_STREAM_MAX_BYTES",
  outboxByReference: "CAREHUB_OUTBOX_BY_REFERENCE",
  streamReplicas: "CAREHUB_STREAM_REPLICAS",
  payloadKeys: "CAREHUB_PAYLOAD_KEYS",
};

/**
 * Reads the configuration from environment variables; reports every problem at once. `overrides` win over the
 * environment, and both over the profile's defaults (PROFILE_DEFAULTS), which win over the schema's.
 */
export function parseHubConfig(env: Record<string, string | undefined>, overrides: Partial<HubConfig> = {}): HubConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(HUB_CONFIG_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const profile = HubConfig.shape.profile.safeParse(overrides.profile ?? raw.profile);
  const profileDefaults = profile.success ? PROFILE_DEFAULTS[profile.data] : {};
  const parsed = HubConfig.safeParse({ ...profileDefaults, ...raw, ...overrides });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? "");
      const name = HUB_CONFIG_ENV[key as keyof typeof HUB_CONFIG_ENV] ?? key;
      return `${name}: ${i.message}`;
    });
    throw new ConfigError(problems);
  }
  const problem = outboxByReferenceProblem(parsed.data);
  if (problem !== undefined) throw new ConfigError([problem]);
  return Object.freeze(parsed.data);
}

/**
 * Why a configuration may not send OUTBOX copies by reference, or undefined (docs/decisions/0109): a size budget
 * purges INGRESS without regard to the OUTBOX copies that name it, and in a split deployment the router need not see
 * the budget the tracker enforces, so the pair is refused wherever either is read. The one place the rule is spelled.
 */
export function outboxByReferenceProblem(
  config: Pick<HubConfig, "outboxByReference" | "streamMaxBytes">,
): string | undefined {
  if (!config.outboxByReference || config.streamMaxBytes === 0) return undefined;
  return `${HUB_CONFIG_ENV.outboxByReference}: not with a size budget (${HUB_CONFIG_ENV.streamMaxBytes}=${config.streamMaxBytes}), which purges INGRESS copies that OUTBOX entries name (CAREHUB_ERR_CONFIG_INVALID; set one of them off)`;
}

/**
 * The retention as a Redis TTL: whole seconds, at least 1 (a fraction of a day need not be a whole number of
 * seconds; `EX` takes only whole ones). Every TTL that follows the retention is computed here.
 */
export function retentionSeconds(retentionDays: number): number {
  return Math.max(1, Math.ceil(retentionDays * 86_400));
}

/** A positive whole number given as text (an environment variable). */
const PositiveWholeNumber = z
  .string()
  .regex(/^\s*\d+\s*$/)
  .transform(Number)
  .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER));

/**
 * Reads one optional positive whole number from the environment (a service's own tuning variables). A bad
 * value is added to `problems` rather than thrown, so a service reports every problem at once (ConfigError).
 */
export function positiveWholeNumberFromEnv(
  env: Record<string, string | undefined>,
  name: string,
  problems: string[],
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const parsed = PositiveWholeNumber.safeParse(raw);
  if (!parsed.success) {
    problems.push(`${name}: must be a positive whole number, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  return parsed.data;
}

export class ConfigError extends Error {
  readonly code = "CAREHUB_ERR_CONFIG_INVALID";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

import { z } from "zod";
import { Gln, SorId, VansId, Ydernummer } from "./identifiers.ts";
import { MessageKind } from "./kinds.ts";

/** `vans`: a value-added network (VANS) provider the hub exchanges OIOXML with; it may sign receipts with a VANS id. */
export const EndpointKind = z.enum(["practice", "municipality", "hospital", "laboratory", "databank", "vans"]);
export type EndpointKind = z.infer<typeof EndpointKind>;

/**
 * Where a webhook signing secret (`whsec_<base64>`) comes from. Exactly one of: `env`, the name of an environment
 * variable of the hub's processes; `file`, an absolute path whose content is the secret (a mounted secret); or
 * `value`, the secret itself in the registry file — DEVELOPMENT ONLY, since the registry is not a secret store.
 * `packages/registry` reads the references when the registry loads or reloads.
 */
export const SecretReference = z
  .object({
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name is letters, digits and underscores")
      .optional(),
    file: z
      .string()
      .refine((path) => path.startsWith("/"), "a secret file is given by its absolute path")
      .optional(),
    value: z.string().min(1).optional(),
  })
  .strict()
  .refine(
    (reference) => Object.values(reference).filter((part) => part !== undefined).length === 1,
    "a secret is given as exactly one of { env: NAME }, { file: /path } or { value: whsec_… } (development only)",
  );
export type SecretReference = z.infer<typeof SecretReference>;

/**
 * Standard Webhooks signing of the endpoint's deliveries. Every secret signs (several = a rotation: the
 * `webhook-signature` header then carries one signature per secret, and the receiver needs to know only one).
 */
export const WebhookSigning = z.object({
  secrets: z.array(SecretReference).min(1).max(4),
});
export type WebhookSigning = z.infer<typeof WebhookSigning>;

/**
 * The wire format an endpoint wants: `as-received` (the default: the exact bytes the sender sent) or `oioxml` (a
 * lab databank: a practice's FHIR lab result is translated into an XRPT01 letter for it; OIOXML messages go as
 * received; docs/databank-mapping.md).
 */
export const DeliveryFormat = z.enum(["as-received", "oioxml"]);
export type DeliveryFormat = z.infer<typeof DeliveryFormat>;

export const HttpDelivery = z.object({
  mode: z.literal("http"),
  format: DeliveryFormat.optional(),
  url: z.url(),
  timeoutMs: z.number().int().positive().default(10_000),
  /** Without it deliveries are unsigned (allowed; the dispatcher warns once per registry load). */
  signing: WebhookSigning.optional(),
});
export const NatsDelivery = z.object({
  mode: z.literal("nats"),
  format: DeliveryFormat.optional(),
  /** Defaults to `<ns>.inbox.<endpoint id>`. */
  subject: z.string().optional(),
});
export const Delivery = z.discriminatedUnion("mode", [HttpDelivery, NatsDelivery]);

/** The registry id of an endpoint (also a NATS subject token and part of Redis keys). */
export const EndpointId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "an endpoint id is lower-case letters, digits and dashes");

/** The public key of a NATS user nkey: `U` and 55 base32 characters (not a secret; the seed is). */
export const NatsUserNkey = z
  .string()
  .regex(/^U[A-Z2-7]{55}$/, "a NATS user nkey is a public key: U followed by 55 base32 characters (never the seed)");

export const Endpoint = z.object({
  id: EndpointId,
  name: z.string().min(1),
  kind: EndpointKind,
  identifiers: z
    .object({
      sor: z.array(SorId).default([]),
      gln: z.array(Gln).default([]),
      ydernummer: Ydernummer.optional(),
      /** The network ids a VANS signs its VANS receipts (XCTL01) with; only on an endpoint of kind `vans`. */
      vans: z.array(VansId).optional(),
    })
    .refine(
      (i) => i.sor.length + i.gln.length + (i.vans?.length ?? 0) > 0,
      "an endpoint needs at least one SOR id or GLN",
    ),
  sends: z.array(MessageKind).min(1),
  accepts: z.array(MessageKind).min(1),
  delivery: Delivery,
  auth: z.object({
    /** sha256 hex of each bearer token the endpoint may use (several, for rotation). */
    tokenSha256: z.array(z.string().regex(/^[0-9a-f]{64}$/)).min(1),
    /** NATS user name, when the endpoint publishes directly on NATS. */
    natsUser: z.string().optional(),
    /**
     * The endpoint's NATS user nkey: the PUBLIC key (`U…`) of a key pair the endpoint made itself and keeps
     * the seed of. `carehub nats-config` grants this key publishing to the endpoint's own ingress subject and
     * reading its own inbox only (docs/decisions/0009-nats-endpoint-credentials.md).
     */
    natsNkey: NatsUserNkey.optional(),
  }),
  /** How long to wait for the receiver's acknowledgement before flagging ack-overdue. */
  ackTimeoutSeconds: z.number().int().positive().default(1800),
  /**
   * The retry budget, in time: a message that could not be delivered is tried again (exponential backoff with
   * jitter) until it has waited this long since it was queued for this endpoint, then dead-lettered
   * (`CAREHUB_ERR_DELIVERY_RETRY_WINDOW_PASSED`). Default one day; the dispatcher caps it at half the OUTBOX
   * retention so a copy is never dropped by age before it is dead-lettered (docs/decisions/0060).
   */
  retryWindowSeconds: z.number().int().positive().default(86_400),
  /**
   * Optional cap on failed attempts (a 408 / 429 / 5xx, a network error, or one that died with the dispatcher);
   * an attempt that got no answer within `timeoutMs` may have arrived and does not count. Unset (the
   * default): only `retryWindowSeconds` limits retries.
   */
  maxDeliveryAttempts: z.number().int().positive().optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;
export type EndpointInput = z.input<typeof Endpoint>;

/**
 * When a routing rule applies. Every condition given must hold; a condition left out matches anything.
 * The router interprets rules; they only ever ADD receivers to those the message addresses itself.
 */
export const RoutingRuleCondition = z.object({
  kind: MessageKind.optional(),
  /** The kind of endpoint that sent the message (the authenticated source, not the message's claim). */
  senderKind: EndpointKind.optional(),
  /**
   * `true`: only when the patient has not withheld consent (consent absent from the message counts as
   * given). A message whose consent is withheld never matches such a rule.
   */
  consentGiven: z.boolean().optional(),
  /**
   * `true`: only for data the sender produced itself, never for something it received and is forwarding
   * (a practice never re-forwards received results to the databanks; this also prevents routing loops).
   */
  producedBySender: z.boolean().optional(),
});
export type RoutingRuleCondition = z.infer<typeof RoutingRuleCondition>;

/** Routing is data: a rule sends an extra copy of matching messages to fixed endpoints. */
export const RoutingRule = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "a rule id is lower-case letters, digits and dashes"),
  description: z.string().optional(),
  when: RoutingRuleCondition,
  /** Endpoint ids that receive a copy when the rule matches. */
  copyTo: z.array(EndpointId).min(1),
});
export type RoutingRule = z.infer<typeof RoutingRule>;

/** The hub's own identity: the sender of the negative acknowledgements and receipts the hub makes itself. */
export const HubIdentity = z.object({
  id: EndpointId,
  name: z.string().min(1),
  sor: SorId,
  gln: Gln,
});
export type HubIdentity = z.infer<typeof HubIdentity>;

/** sha256 hex of a bearer token, as the registry stores it (never the token). */
const TokenSha256 = z.string().regex(/^[0-9a-f]{64}$/, "a token hash is 64 lower-case hex digits (sha256)");

/**
 * An operator: a person or tool (console, CLI) that reads everything through the query API. Operators send
 * no messages; their tokens open the query routes only.
 */
export const Operator = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "an operator id is lower-case letters, digits and dashes"),
  name: z.string().min(1),
  /** sha256 hex of each bearer token the operator may use (several, for rotation). */
  tokenSha256: z.array(TokenSha256).min(1),
  /**
   * What the operator may do in the console (docs/decisions/0041): `viewer` sees flows and message records but no
   * payload and no patient search; `operator` also sees payloads, searches by patient and re-runs; `admin` also
   * manages the registry. Least privilege when left out.
   */
  role: z.enum(["viewer", "operator", "admin"]).default("viewer"),
});
export type Operator = z.infer<typeof Operator>;
export type OperatorRole = Operator["role"];

/**
 * Settings of one message kind, for every endpoint (registry `kinds.<kind>`; a kind left out has the defaults).
 * Advisering — a notification, "your patient is waiting in the video queue" — expects no business reply; whether
 * it expects even the transport acknowledgement is said here.
 */
export const KindSettings = z.object({
  /**
   * `expected` (the default, as for every kind before this setting): the tracker raises ack-overdue when a
   * receiver's acknowledgement is later than its `ackTimeoutSeconds`. `not-expected`: no acknowledgement timer
   * and no ack-overdue for this kind (an acknowledgement that comes anyway is still relayed and matched).
   * Acknowledgements themselves are never awaited whatever this says (MedCom KR2).
   */
  acknowledgement: z.enum(["expected", "not-expected"]).default("expected"),
});
export type KindSettings = z.infer<typeof KindSettings>;

/**
 * The endpoint registry file (infra/endpoints.yaml): who may send, who receives, the routing rules, and the
 * operators who may read everything.
 */
export const RegistryConfig = z
  .object({
    hub: HubIdentity,
    endpoints: z.array(Endpoint).min(1),
    rules: z.array(RoutingRule).default([]),
    operators: z.array(Operator).default([]),
    kinds: z.partialRecord(MessageKind, KindSettings).default({}),
  })
  .superRefine((config, ctx) => {
    for (const problem of registryConsistencyProblems(config)) {
      ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    }
  });
export type RegistryConfig = z.infer<typeof RegistryConfig>;
export type RegistryConfigInput = z.input<typeof RegistryConfig>;

export interface ConsistencyProblem {
  path: (string | number)[];
  message: string;
}

/** The parts of a registry file that passed their own schema; `undefined` marks an entry that did not. */
export interface RegistryParts {
  hub: HubIdentity | undefined;
  endpoints: ReadonlyArray<Endpoint | undefined>;
  rules: ReadonlyArray<RoutingRule | undefined>;
  operators?: ReadonlyArray<Operator | undefined>;
  /** Ids of endpoints that failed their schema but name an id: rules may refer to them. */
  unparsedEndpointIds?: ReadonlySet<string>;
}

/**
 * Checks that span several entries: unique ids (hub, endpoints and operators share one space), identifiers,
 * NATS nkeys and token hashes (across endpoints and operators: a token names exactly one caller), rules that name
 * existing endpoints which accept what the rule sends them. Every problem is reported, each with its path. Takes
 * the parts that parsed, so that a loader can report these problems together with per-entry ones
 * (a zod refinement on the whole only runs once every entry is valid).
 */
export function registryConsistencyProblems(parts: RegistryParts): ConsistencyProblem[] {
  const problems: ConsistencyProblem[] = [];
  const firstSeen = new Map<string, string>();
  const claim = (key: string, owner: string, path: (string | number)[], what: string) => {
    const earlier = firstSeen.get(key);
    if (earlier === undefined) firstSeen.set(key, owner);
    else problems.push({ path, message: `${what} is already used by ${earlier}` });
  };
  const { hub } = parts;
  if (hub !== undefined) {
    claim(`id:${hub.id}`, "the hub", ["hub", "id"], `id ${hub.id}`);
    claim(`sor:${hub.sor}`, "the hub", ["hub", "sor"], `SOR id ${hub.sor}`);
    claim(`gln:${hub.gln}`, "the hub", ["hub", "gln"], `GLN ${hub.gln}`);
  }
  parts.endpoints.forEach((endpoint, e) => {
    if (endpoint === undefined) return;
    const owner = `endpoint ${endpoint.id}`;
    claim(`id:${endpoint.id}`, owner, ["endpoints", e, "id"], `id ${endpoint.id}`);
    endpoint.identifiers.sor.forEach((sor, i) => {
      claim(`sor:${sor}`, owner, ["endpoints", e, "identifiers", "sor", i], `SOR id ${sor}`);
    });
    endpoint.identifiers.gln.forEach((gln, i) => {
      claim(`gln:${gln}`, owner, ["endpoints", e, "identifiers", "gln", i], `GLN ${gln}`);
    });
    endpoint.identifiers.vans?.forEach((vans, i) => {
      const path = ["endpoints", e, "identifiers", "vans", i];
      claim(`vans:${vans}`, owner, path, `VANS id ${vans}`);
      // A VANS id lets its holder sign receipts without a GLN: only a registered VANS may do that.
      if (endpoint.kind !== "vans") problems.push({ path, message: `only an endpoint of kind vans has VANS ids` });
    });
    endpoint.auth.tokenSha256.forEach((hash, i) => {
      claim(`token:${hash}`, owner, ["endpoints", e, "auth", "tokenSha256", i], "this token hash");
    });
    if (endpoint.auth.natsNkey !== undefined) {
      claim(`nkey:${endpoint.auth.natsNkey}`, owner, ["endpoints", e, "auth", "natsNkey"], "this NATS nkey");
    }
  });
  parts.operators?.forEach((operator, o) => {
    if (operator === undefined) return;
    const owner = `operator ${operator.id}`;
    claim(`id:${operator.id}`, owner, ["operators", o, "id"], `id ${operator.id}`);
    operator.tokenSha256.forEach((hash, i) => {
      claim(`token:${hash}`, owner, ["operators", o, "tokenSha256", i], "this token hash");
    });
  });
  const endpoints = new Map<string, Endpoint>();
  for (const endpoint of parts.endpoints) if (endpoint !== undefined) endpoints.set(endpoint.id, endpoint);
  parts.rules.forEach((rule, r) => {
    if (rule === undefined) return;
    claim(`rule:${rule.id}`, `rule ${rule.id}`, ["rules", r, "id"], `rule id ${rule.id}`);
    rule.copyTo.forEach((target, t) => {
      const endpoint = endpoints.get(target);
      if (endpoint === undefined) {
        if (parts.unparsedEndpointIds?.has(target)) return;
        problems.push({ path: ["rules", r, "copyTo", t], message: `no endpoint has the id ${target}` });
      } else if (rule.when.kind !== undefined && !endpoint.accepts.includes(rule.when.kind)) {
        problems.push({
          path: ["rules", r, "copyTo", t],
          message: `endpoint ${target} does not accept ${rule.when.kind}`,
        });
      }
    });
  });
  return problems;
}

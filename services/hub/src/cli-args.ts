import { AUDIT_ACTIONS, type AuditAction } from "@carehub/schemas";
import { isServiceName, SERVICE_NAMES, type ServiceName } from "./service-catalogue.ts";

export const USAGE = `usage: carehub <command> [options]

commands:
  start --all                  run every service in this process (gateway, intake, router, dispatcher, tracker)
  start <service>...           run only these services (${SERVICE_NAMES.join(", ")}); run more copies to scale out
                               every start serves /healthz, /readyz, /metrics on CAREHUB_OPS_PORT (9464)
  validate <file or dir>...    validate MedCom messages: one JSON line per file, exit 1 if any is invalid
  validate --summary <dir>     summarise a corpus: counts per verdict, kind and format; mismatches against <dir>/manifest.json
  redrive [--stage S] [--endpoint E] [--limit N]
                               send dead letters again (default stage: dispatcher)
  provision                    create or update the JetStream streams (idempotent), then exit
  rebuild                      drop the Redis read model and rebuild it from the streams
  audit [--since ISO|DURATION] [--actor ID] [--action A] [--resource ID] [--limit N]
                               print query API access records as JSON lines, oldest first: since a time
                               (2025-01-31, 2025-01-31T08:00:00Z) or a duration ago (90m, 24h, 30d, 2w); by
                               operator or endpoint id; by action (${AUDIT_ACTIONS.join(", ")}); by a hub,
                               referral or task id asked for or shown; at most N
  nats-config [--namespace NS] [--out FILE] [--create-inbox-consumers]
                               write the nats-server authorization from the registry: the hub user (NATS_USER,
                               NATS_PASS) and each endpoint's own nkey user; with --create-inbox-consumers first
                               make each endpoint's inbox consumer, as the hub (infra/nats/README.md)
  demo [--seed N] [--rate N] [--duration SECONDS] [--misbehave] [--ack-timeout SECONDS]
                               run the hub with simulated practices, municipalities, hospitals and a lab;
                               --ack-timeout: how long the hub waits for each acknowledgement before it
                               flags ack-overdue (default 45); 10 or less also front-loads --misbehave's
                               failures (down, broken, refused, negatively acknowledged) into the first seconds
  help                         this text

configuration comes from the environment (NATS_URL, REDIS_URL, CAREHUB_NAMESPACE, CAREHUB_REGISTRY, ...; see README).`;

export type CliCommand =
  | { command: "start"; services: ServiceName[] }
  | { command: "validate"; args: string[] }
  | { command: "redrive"; stage?: string; endpoint?: string; limit?: number }
  | { command: "provision" }
  | { command: "rebuild" }
  | {
      command: "audit";
      /** An absolute time, or how long ago (resolved when the command runs). */
      since?: { at: string } | { agoMs: number };
      actor?: string;
      action?: AuditAction;
      resource?: string;
      limit?: number;
    }
  | { command: "nats-config"; namespace?: string; out?: string; createInboxConsumers?: boolean }
  | {
      command: "demo";
      seed?: number;
      rate?: number;
      durationMs?: number;
      misbehave: boolean;
      ackTimeoutSeconds?: number;
    }
  | { command: "help" };

export type CliParse = CliCommand | { error: string };

/** Reads the command line (without `node cli.ts`). Pure: never exits, never prints. */
export function parseCliArgs(argv: readonly string[]): CliParse {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      return { command: "help" };
    case "start":
      return parseStart(rest);
    case "validate":
      return { command: "validate", args: rest };
    case "redrive":
      return parseOptions(rest, { "--stage": "text", "--endpoint": "text", "--limit": "number" }, (o) => ({
        command: "redrive",
        ...(o["--stage"] === undefined ? {} : { stage: String(o["--stage"]) }),
        ...(o["--endpoint"] === undefined ? {} : { endpoint: String(o["--endpoint"]) }),
        ...(o["--limit"] === undefined ? {} : { limit: Number(o["--limit"]) }),
      }));
    case "audit":
      return parseAudit(rest);
    case "provision":
    case "rebuild":
      return rest.length === 0 ? { command } : { error: `${command} takes no arguments` };
    case "nats-config":
      return parseOptions(
        rest,
        { "--namespace": "text", "--out": "text", "--create-inbox-consumers": "flag" },
        (o) => ({
          command: "nats-config",
          ...(o["--namespace"] === undefined ? {} : { namespace: String(o["--namespace"]) }),
          ...(o["--out"] === undefined ? {} : { out: String(o["--out"]) }),
          ...(o["--create-inbox-consumers"] === true ? { createInboxConsumers: true } : {}),
        }),
      );
    case "demo": {
      const parsed = parseOptions(
        rest,
        {
          "--seed": "number",
          "--rate": "number",
          "--duration": "number",
          "--misbehave": "flag",
          "--ack-timeout": "number",
        },
        (o) => ({
          command: "demo",
          misbehave: o["--misbehave"] === true,
          ...(o["--seed"] === undefined ? {} : { seed: Number(o["--seed"]) }),
          ...(o["--rate"] === undefined ? {} : { rate: Number(o["--rate"]) }),
          ...(o["--duration"] === undefined ? {} : { durationMs: Number(o["--duration"]) * 1000 }),
          ...(o["--ack-timeout"] === undefined ? {} : { ackTimeoutSeconds: Number(o["--ack-timeout"]) }),
        }),
      );
      // The registry takes whole seconds, at least one.
      if ("command" in parsed && parsed.command === "demo" && parsed.ackTimeoutSeconds !== undefined) {
        const seconds = parsed.ackTimeoutSeconds;
        if (!(Number.isInteger(seconds) && seconds >= 1)) return { error: "--ack-timeout needs a whole number >= 1" };
      }
      return parsed;
    }
    default:
      return { error: `unknown command: ${command}` };
  }
}

const DURATION = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const REGISTRY_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

function parseAudit(rest: string[]): CliParse {
  const parsed = parseOptions(
    rest,
    { "--since": "text", "--actor": "text", "--action": "text", "--resource": "text", "--limit": "number" },
    (o) => ({
      command: "audit",
      ...(o["--actor"] === undefined ? {} : { actor: String(o["--actor"]) }),
      ...(o["--action"] === undefined ? {} : { action: String(o["--action"]) as AuditAction }),
      ...(o["--resource"] === undefined ? {} : { resource: String(o["--resource"]) }),
      ...(o["--limit"] === undefined ? {} : { limit: Number(o["--limit"]) }),
      ...(o["--since"] === undefined ? {} : { since: { at: String(o["--since"]) } }),
    }),
  );
  if (!("command" in parsed) || parsed.command !== "audit") return parsed;
  if (parsed.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(parsed.action)) {
    return { error: `--action must be one of ${AUDIT_ACTIONS.join(", ")}; got ${JSON.stringify(parsed.action)}` };
  }
  if (parsed.actor !== undefined && !REGISTRY_ID.test(parsed.actor)) {
    return { error: `--actor needs an operator or endpoint id (lower-case letters, digits and dashes)` };
  }
  if (parsed.limit !== undefined && !(Number.isInteger(parsed.limit) && parsed.limit >= 1)) {
    return { error: "--limit needs a whole number >= 1" };
  }
  if (parsed.since !== undefined && "at" in parsed.since) {
    const since = sinceOf(parsed.since.at);
    if (since === undefined) {
      return {
        error: `--since needs an ISO time (2025-01-31, 2025-01-31T08:00:00Z) or a duration (90m, 24h, 30d, 2w); got ${JSON.stringify(parsed.since.at)}`,
      };
    }
    return { ...parsed, since };
  }
  return parsed;
}

function sinceOf(text: string): { at: string } | { agoMs: number } | undefined {
  const duration = DURATION.exec(text);
  if (duration !== null) return { agoMs: Number(duration[1]) * (UNIT_MS[duration[2] ?? ""] ?? Number.NaN) };
  if (!ISO_TIME.test(text) || Number.isNaN(Date.parse(text))) return undefined;
  return { at: new Date(text).toISOString() };
}

function parseStart(rest: string[]): CliParse {
  if (rest.length === 1 && rest[0] === "--all") return { command: "start", services: [...SERVICE_NAMES] };
  if (rest.length === 0) return { error: "start needs --all or one or more service names" };
  const unknown = rest.filter((name) => !isServiceName(name));
  if (unknown.length > 0)
    return { error: `unknown service: ${unknown.join(", ")} (known: ${SERVICE_NAMES.join(", ")})` };
  return { command: "start", services: [...new Set(rest.filter(isServiceName))] };
}

type OptionKind = "text" | "number" | "flag";

function parseOptions(
  rest: string[],
  known: Record<string, OptionKind>,
  build: (options: Record<string, string | number | true>) => CliCommand,
): CliParse {
  const options: Record<string, string | number | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i] ?? "";
    const kind = known[name];
    if (kind === undefined) return { error: `unknown option: ${name}` };
    if (kind === "flag") {
      options[name] = true;
      continue;
    }
    const value = rest[++i];
    if (value === undefined || value.startsWith("--")) return { error: `${name} needs a value` };
    if (kind === "number" && !(Number.isFinite(Number(value)) && Number(value) >= 0)) {
      return { error: `${name} needs a non-negative number` };
    }
    options[name] = kind === "number" ? Number(value) : value;
  }
  return build(options);
}

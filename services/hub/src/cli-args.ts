import { parseArgs } from "node:util";
import { AUDIT_ACTIONS, type AuditAction, MESSAGE_KINDS, type MessageKind } from "@carehub/schemas";
import { COMMAND_NAMES, COMMANDS, COMMON_OPTIONS, closest, DLQ_STAGES, type OptionSpec } from "./cli-spec.ts";
import { isServiceName, SERVICE_NAMES, type ServiceName } from "./service-catalogue.ts";

/** Set on any command by `--json`: machine-readable output on stdout. Absent means human tables. */
interface Output {
  json?: true;
}

export type CliCommand = Output &
  (
    | { command: "start"; services: ServiceName[] }
    | { command: "validate"; args: string[]; summary?: true }
    | { command: "redrive"; stage?: string; endpoint?: string; limit?: number }
    | { command: "dlq-list"; stage?: string; endpoint?: string; limit?: number }
    | { command: "messages-list"; url?: string; token?: string; filter: Record<string, string | number> }
    | { command: "messages-show"; url?: string; token?: string; hubId: string }
    | { command: "stats"; url?: string; token?: string }
    | { command: "endpoints-list" }
    | { command: "provision" }
    | { command: "rebuild"; yes?: true }
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
        command: "record";
        from?: string;
        to?: string;
        endpoint?: string;
        kind?: MessageKind;
        limit?: number;
        out?: string;
        anonymise?: true;
      }
    | { command: "replay"; file: string; pace?: number; timeoutMs?: number }
    | {
        command: "demo";
        seed?: number;
        rate?: number;
        durationMs?: number;
        misbehave: boolean;
        ackTimeoutSeconds?: number;
      }
    /** `carehub --help`, `carehub help <command>`, `carehub <command> --help`. */
    | { command: "help"; topic?: string }
    | { command: "version" }
  );

/** An error names the command it happened in (so its help can be pointed to), when there is one. */
export type CliParse = CliCommand | { error: string; topic?: string };

type Values = Record<string, string | number | true>;

/** Reads the command line (without `node cli.ts`). Pure: never exits, never prints. */
export function parseCliArgs(argv: readonly string[]): CliParse {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") return { command: "help" };
  if (command === "--version" || command === "-V") return { command: "version" };
  const spec = COMMANDS[command];
  if (spec === undefined) {
    const suggestion = command.startsWith("-") ? undefined : closest(command, COMMAND_NAMES);
    const kind = command.startsWith("-") ? "option" : "command";
    return { error: `unknown ${kind}: ${command}${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}` };
  }
  const read = readOptions(rest, { ...spec.options, ...COMMON_OPTIONS });
  if ("error" in read) return { ...read, topic: command };
  const { values, positionals } = read;
  if (values.help === true) return { command: "help", topic: command };
  if (command === "help") return positionals[0] === undefined ? { command: "help" } : helpOf(positionals[0]);
  if (!spec.positionals && positionals.length > 0 && command !== "start") {
    return { error: `${command} takes no arguments`, topic: command };
  }
  const parsed = build(command, values, positionals);
  if ("error" in parsed) return { ...parsed, topic: command };
  return values.json === true ? { ...parsed, json: true } : parsed;
}

function helpOf(topic: string): CliParse {
  if (COMMANDS[topic] !== undefined) return { command: "help", topic };
  const suggestion = closest(topic, COMMAND_NAMES);
  return { error: `unknown command: ${topic}${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}` };
}

/** node:util parseArgs, non-strict so that each refusal can be said here, with a suggestion. */
function readOptions(
  args: string[],
  known: Record<string, OptionSpec>,
): { values: Values; positionals: string[] } | { error: string } {
  const options = Object.fromEntries(
    Object.entries(known).map(([name, spec]) => [
      name,
      {
        type: spec.kind === "flag" ? ("boolean" as const) : ("string" as const),
        ...(spec.short ? { short: spec.short } : {}),
      },
    ]),
  );
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const values: Values = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const spec = known[token.name];
    if (spec === undefined) {
      const suggestion = closest(token.name, Object.keys(known));
      return {
        error: `unknown option: ${token.rawName}${suggestion === undefined ? "" : ` (did you mean --${suggestion}?)`}`,
      };
    }
    const name = `--${token.name}`;
    if (spec.kind === "flag") {
      if (token.value !== undefined) return { error: `${name} takes no value` };
      values[token.name] = true;
      continue;
    }
    if (token.value === undefined || token.value.startsWith("--")) return { error: `${name} needs a value` };
    if (spec.kind === "number") {
      const number = Number(token.value);
      if (token.value.trim() === "" || !(Number.isFinite(number) && number >= 0)) {
        return { error: `${name} needs a non-negative number` };
      }
      values[token.name] = number;
    } else values[token.name] = token.value;
  }
  return { values, positionals };
}

function build(command: string, o: Values, positionals: string[]): CliParse {
  switch (command) {
    case "start":
      return parseStart(o, positionals);
    case "validate":
      return { command: "validate", args: positionals, ...(o.summary === true ? { summary: true as const } : {}) };
    case "redrive":
      return parseRedrive(o);
    case "dlq":
      return parseDlq(o, positionals);
    case "messages":
      return parseMessages(o, positionals);
    case "endpoints":
      if (positionals.length === 1 && positionals[0] === "list") return { command: "endpoints-list" };
      return {
        error: `${positionals[0] === undefined ? "endpoints needs list" : "unknown endpoints command"}${positionals[0] !== undefined && closest(positionals[0], ["list"]) ? " (did you mean endpoints list?)" : ""}`,
      };
    case "stats":
      return { command: "stats", ...target(o) };
    case "audit":
      return parseAudit(o);
    case "provision":
      return { command: "provision" };
    case "rebuild":
      return o.yes === true ? { command: "rebuild", yes: true } : { command: "rebuild" };
    case "record":
      return parseRecord(o);
    case "replay":
      return parseReplay(o, positionals);
    case "nats-config":
      return {
        command: "nats-config",
        ...(o.namespace === undefined ? {} : { namespace: String(o.namespace) }),
        ...(o.out === undefined ? {} : { out: String(o.out) }),
        ...(o["create-inbox-consumers"] === true ? { createInboxConsumers: true } : {}),
      };
    default:
      return parseDemo(o);
  }
}

function parseRedrive(o: Values): CliParse {
  if (o.stage !== undefined && !(DLQ_STAGES as readonly string[]).includes(String(o.stage))) {
    return { error: `--stage must be one of ${DLQ_STAGES.join(", ")}; got ${JSON.stringify(o.stage)}` };
  }
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && Number(o.limit) >= 1)) {
    return { error: "--limit needs a whole number >= 1" };
  }
  return {
    command: "redrive",
    ...(o.stage === undefined ? {} : { stage: String(o.stage) }),
    ...(o.endpoint === undefined ? {} : { endpoint: String(o.endpoint) }),
    ...(o.limit === undefined ? {} : { limit: Number(o.limit) }),
  };
}

function target(o: Values): { url?: string; token?: string } {
  return {
    ...(o.url === undefined ? {} : { url: String(o.url) }),
    ...(o.token === undefined ? {} : { token: String(o.token) }),
  };
}

const MESSAGE_FILTERS = ["sender", "receiver", "kind", "status", "from", "to", "limit", "cursor"];

function parseMessages(o: Values, positionals: string[]): CliParse {
  const [action, ...extra] = positionals;
  if (action === "show") {
    const filters = MESSAGE_FILTERS.filter((name) => o[name] !== undefined);
    if (filters.length > 0) return { error: `messages show takes no --${filters[0]}` };
    if (extra.length !== 1 || extra[0] === undefined) return { error: "messages show needs one hub id" };
    return { command: "messages-show", ...target(o), hubId: extra[0] };
  }
  if (action === "list") {
    if (extra.length > 0) return { error: "messages list takes no arguments" };
    const filter = Object.fromEntries(
      MESSAGE_FILTERS.filter((n) => o[n] !== undefined).map((n) => [n, o[n] as string | number]),
    );
    return { command: "messages-list", ...target(o), filter };
  }
  const suggestion = action === undefined ? undefined : closest(action, ["list", "show"]);
  const said = action === undefined ? "messages needs list or show" : `unknown messages command: ${action}`;
  return { error: `${said}${suggestion === undefined ? "" : ` (did you mean messages ${suggestion}?)`}` };
}

const DLQ_ACTIONS = ["list", "redrive"];

function parseDlq(o: Values, positionals: string[]): CliParse {
  const [action, ...extra] = positionals;
  if (action === undefined || !DLQ_ACTIONS.includes(action)) {
    const suggestion = action === undefined ? undefined : closest(action, DLQ_ACTIONS);
    const said = action === undefined ? "dlq needs list or redrive" : `unknown dlq command: ${action}`;
    return { error: `${said}${suggestion === undefined ? "" : ` (did you mean dlq ${suggestion}?)`}` };
  }
  if (extra.length > 0) return { error: `dlq ${action} takes no arguments` };
  const parsed = parseRedrive(o);
  if ("error" in parsed || action === "redrive" || parsed.command !== "redrive") return parsed;
  const { command: _, ...selection } = parsed;
  return { command: "dlq-list", ...selection };
}

function parseDemo(o: Values): CliParse {
  // The registry takes whole seconds, at least one.
  const ack = o["ack-timeout"];
  if (ack !== undefined && !(Number.isInteger(ack) && Number(ack) >= 1)) {
    return { error: "--ack-timeout needs a whole number >= 1" };
  }
  return {
    command: "demo",
    misbehave: o.misbehave === true,
    ...(o.seed === undefined ? {} : { seed: Number(o.seed) }),
    ...(o.rate === undefined ? {} : { rate: Number(o.rate) }),
    ...(o.duration === undefined ? {} : { durationMs: Number(o.duration) * 1000 }),
    ...(ack === undefined ? {} : { ackTimeoutSeconds: Number(ack) }),
  };
}

const DURATION = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const REGISTRY_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

function parseAudit(o: Values): CliParse {
  const parsed: Extract<CliCommand, { command: "audit" }> = {
    command: "audit",
    ...(o.actor === undefined ? {} : { actor: String(o.actor) }),
    ...(o.action === undefined ? {} : { action: String(o.action) as AuditAction }),
    ...(o.resource === undefined ? {} : { resource: String(o.resource) }),
    ...(o.limit === undefined ? {} : { limit: Number(o.limit) }),
    ...(o.since === undefined ? {} : { since: { at: String(o.since) } }),
  };
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

function parseStart(o: Values, rest: string[]): CliParse {
  if (o.all === true && rest.length === 0) return { command: "start", services: [...SERVICE_NAMES] };
  if (o.all === true) return { error: "start takes --all or service names, not both" };
  if (rest.length === 0) return { error: "start needs --all or one or more service names" };
  const unknown = rest.filter((name) => !isServiceName(name));
  if (unknown.length > 0) {
    const suggestion = unknown.length === 1 ? closest(unknown[0] ?? "", SERVICE_NAMES) : undefined;
    return {
      error: `unknown service: ${unknown.join(", ")} (known: ${SERVICE_NAMES.join(", ")})${suggestion === undefined ? "" : `; did you mean ${suggestion}?`}`,
    };
  }
  return { command: "start", services: [...new Set(rest.filter(isServiceName))] };
}

function parseRecord(o: Values): CliParse {
  for (const name of ["from", "to"]) {
    const value = o[name];
    if (value !== undefined && !(ISO_TIME.test(String(value)) && !Number.isNaN(Date.parse(String(value))))) {
      return { error: `--${name} needs an ISO time (2025-01-31, 2025-01-31T08:00:00Z)` };
    }
  }
  if (o.kind !== undefined && !(MESSAGE_KINDS as readonly string[]).includes(String(o.kind))) {
    return { error: `--kind must be one of ${MESSAGE_KINDS.join(", ")}` };
  }
  if (o.endpoint !== undefined && !REGISTRY_ID.test(String(o.endpoint)))
    return { error: "--endpoint needs a registry id" };
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && Number(o.limit) >= 1)) {
    return { error: "--limit needs a whole number >= 1" };
  }
  return {
    command: "record",
    ...(o.from === undefined ? {} : { from: new Date(String(o.from)).toISOString() }),
    ...(o.to === undefined ? {} : { to: new Date(String(o.to)).toISOString() }),
    ...(o.endpoint === undefined ? {} : { endpoint: String(o.endpoint) }),
    ...(o.kind === undefined ? {} : { kind: String(o.kind) as MessageKind }),
    ...(o.limit === undefined ? {} : { limit: Number(o.limit) }),
    ...(o.out === undefined ? {} : { out: String(o.out) }),
    ...(o.anonymise === true ? { anonymise: true as const } : {}),
  };
}

function parseReplay(o: Values, positionals: string[]): CliParse {
  if (positionals.length !== 1 || positionals[0] === undefined) return { error: "replay needs one recording file" };
  if (o.pace !== undefined && !(Number(o.pace) > 0)) return { error: "--pace needs a number > 0" };
  return {
    command: "replay",
    file: positionals[0],
    ...(o.pace === undefined ? {} : { pace: Number(o.pace) }),
    ...(o.timeout === undefined ? {} : { timeoutMs: Number(o.timeout) * 1000 }),
  };
}

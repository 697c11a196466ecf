import { parseArgs } from "node:util";
import {
  AUDIT_ACTIONS,
  type AuditAction,
  LIFECYCLE_EVENT_TYPES,
  type LifecycleEventType,
  MESSAGE_KINDS,
  type MessageKind,
} from "@carehub/schemas";
import { COMMAND_NAMES, COMMANDS, COMMON_OPTIONS, closest, DLQ_STAGES, type OptionSpec } from "./cli-spec.ts";
import { isServiceName, SERVICE_NAMES, type ServiceName } from "./service-catalogue.ts";
import type { TailFilter } from "./tail-command.ts";

/** Set on any command by `--json`: machine-readable output on stdout. Absent means human tables. */
interface Output {
  json?: true;
}

export type CliCommand = Output &
  (
    | { command: "start"; services: ServiceName[] }
    | { command: "validate"; args: string[]; summary?: true }
    | { command: "redrive"; stage?: string; endpoint?: string; limit?: number; progress?: true }
    | { command: "dlq-list"; stage?: string; endpoint?: string; limit?: number }
    | { command: "messages-list"; url?: string; token?: string; filter: Record<string, string | number> }
    | { command: "messages-show"; url?: string; token?: string; hubId: string }
    | { command: "messages-tail"; filter: TailFilter; count?: number; forMs?: number }
    | { command: "stats"; url?: string; token?: string }
    | { command: "incidents-list"; url?: string; token?: string; state?: "open" | "closed" }
    | { command: "incidents-open"; url?: string; token?: string; endpoints: string[]; kinds: string[]; note: string }
    | { command: "incidents-close"; url?: string; token?: string; id: string; note?: string }
    | { command: "endpoints-list" }
    | { command: "endpoints-check"; endpoint?: string }
    | { command: "provision" }
    | { command: "rebuild"; yes?: true; progress?: true }
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
      return parseEndpoints(positionals);
    case "stats":
      return { command: "stats", ...target(o) };
    case "incidents":
      return parseIncidents(o, positionals);
    case "audit":
      return parseAudit(o);
    case "provision":
      return { command: "provision" };
    case "rebuild":
      return {
        command: "rebuild",
        ...(o.yes === true ? { yes: true as const } : {}),
        ...(o.progress === true ? { progress: true as const } : {}),
      };
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
    ...(o.progress === true ? { progress: true as const } : {}),
  };
}

function target(o: Values): { url?: string; token?: string } {
  return {
    ...(o.url === undefined ? {} : { url: String(o.url) }),
    ...(o.token === undefined ? {} : { token: String(o.token) }),
  };
}

const MESSAGE_FILTERS = ["sender", "receiver", "kind", "status", "from", "to", "limit", "cursor"];
const TAIL_LIMITS = ["count", "for"];
const MESSAGE_ACTIONS = ["list", "show", "tail"];

function parseMessages(o: Values, positionals: string[]): CliParse {
  const [action, ...extra] = positionals;
  if (action === "tail") return parseTail(o, extra);
  const tailOnly = TAIL_LIMITS.find((name) => o[name] !== undefined);
  if (tailOnly !== undefined && (action === "show" || action === "list")) {
    return { error: `messages ${action} takes no --${tailOnly} (only messages tail does)` };
  }
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
  const suggestion = action === undefined ? undefined : closest(action, MESSAGE_ACTIONS);
  const said = action === undefined ? "messages needs list, show or tail" : `unknown messages command: ${action}`;
  return { error: `${said}${suggestion === undefined ? "" : ` (did you mean messages ${suggestion}?)`}` };
}

const INCIDENT_ACTIONS = ["list", "open", "close"];

function parseIncidents(o: Values, positionals: string[]): CliParse {
  const [action, ...extra] = positionals;
  const list = (value: unknown) =>
    value === undefined
      ? []
      : String(value)
          .split(",")
          .map((part) => part.trim())
          .filter((part) => part !== "");
  const misplaced = (allowed: string[]) =>
    ["state", "endpoints", "kinds", "note"].find((name) => o[name] !== undefined && !allowed.includes(name));
  const refuse = (name: string) => ({ error: `incidents ${action} takes no --${name}` });
  switch (action) {
    case "list": {
      const wrong = misplaced(["state"]);
      if (wrong !== undefined) return refuse(wrong);
      if (extra.length > 0) return { error: "incidents list takes no arguments" };
      if (o.state !== undefined && o.state !== "open" && o.state !== "closed") {
        return { error: `--state must be open or closed; got ${JSON.stringify(o.state)}` };
      }
      return { command: "incidents-list", ...target(o), ...(o.state === undefined ? {} : { state: o.state }) };
    }
    case "open": {
      const wrong = misplaced(["endpoints", "kinds", "note"]);
      if (wrong !== undefined) return refuse(wrong);
      if (extra.length > 0) return { error: "incidents open takes no arguments (say what is disrupted with --note)" };
      if (o.note === undefined || String(o.note).trim() === "") return { error: "incidents open needs --note" };
      return {
        command: "incidents-open",
        ...target(o),
        endpoints: list(o.endpoints),
        kinds: list(o.kinds),
        note: String(o.note),
      };
    }
    case "close": {
      const wrong = misplaced(["note"]);
      if (wrong !== undefined) return refuse(wrong);
      if (extra.length !== 1 || extra[0] === undefined) return { error: "incidents close needs one incident id" };
      return {
        command: "incidents-close",
        ...target(o),
        id: extra[0],
        ...(o.note === undefined ? {} : { note: String(o.note) }),
      };
    }
    default: {
      const suggestion = action === undefined ? undefined : closest(action, INCIDENT_ACTIONS);
      const said =
        action === undefined ? "incidents needs list, open or close" : `unknown incidents command: ${action}`;
      return { error: `${said}${suggestion === undefined ? "" : ` (did you mean incidents ${suggestion}?)`}` };
    }
  }
}

/** `messages tail`: the filters it can apply to events, and when to stop. */
function parseTail(o: Values, extra: string[]): CliParse {
  if (extra.length > 0) return { error: "messages tail takes no arguments" };
  const other = ["url", "token", "from", "to", "limit", "cursor"].find((name) => o[name] !== undefined);
  if (other !== undefined) return { error: `messages tail takes no --${other}` };
  const status = o.status === undefined ? undefined : String(o.status);
  if (status !== undefined && !(LIFECYCLE_EVENT_TYPES as readonly string[]).includes(status)) {
    const suggestion = closest(status, LIFECYCLE_EVENT_TYPES);
    return {
      error: `--status must be an event type: ${LIFECYCLE_EVENT_TYPES.join(", ")}${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}`,
    };
  }
  const kind = o.kind === undefined ? undefined : String(o.kind);
  if (kind !== undefined && !(MESSAGE_KINDS as readonly string[]).includes(kind)) {
    const suggestion = closest(kind, MESSAGE_KINDS);
    return { error: `unknown --kind${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}` };
  }
  if (o.count !== undefined && !(Number.isInteger(o.count) && Number(o.count) >= 1)) {
    return { error: "--count needs a whole number >= 1" };
  }
  let forMs: number | undefined;
  if (o.for !== undefined) {
    const duration = TAIL_DURATION.exec(String(o.for));
    if (duration === null) return { error: "--for needs a duration: 30s, 5m or 1h" };
    forMs = Number(duration[1]) * (UNIT_MS[duration[2] ?? ""] ?? Number.NaN);
    if (!(forMs > 0)) return { error: "--for needs a duration: 30s, 5m or 1h" };
  }
  const filter: TailFilter = {
    ...(kind === undefined ? {} : { kind }),
    ...(o.sender === undefined ? {} : { sender: String(o.sender) }),
    ...(o.receiver === undefined ? {} : { receiver: String(o.receiver) }),
    ...(status === undefined ? {} : { status: status as LifecycleEventType }),
  };
  return {
    command: "messages-tail",
    filter,
    ...(o.count === undefined ? {} : { count: Number(o.count) }),
    ...(forMs === undefined ? {} : { forMs }),
  };
}

const ENDPOINTS_ACTIONS = ["list", "check"];

function parseEndpoints(positionals: string[]): CliParse {
  const [action, ...extra] = positionals;
  if (action === "list" && extra.length === 0) return { command: "endpoints-list" };
  if (action === "check" && extra.length <= 1) {
    return extra[0] === undefined ? { command: "endpoints-check" } : { command: "endpoints-check", endpoint: extra[0] };
  }
  if (action === "list" || action === "check") return { error: `endpoints ${action} takes at most one endpoint id` };
  const suggestion = action === undefined ? undefined : closest(action, ENDPOINTS_ACTIONS);
  const said = action === undefined ? "endpoints needs list or check" : "unknown endpoints command";
  return { error: `${said}${suggestion === undefined ? "" : ` (did you mean endpoints ${suggestion}?)`}` };
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
  const { command: _, progress: __, ...selection } = parsed;
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
const TAIL_DURATION = /^(\d+)(s|m|h)$/;
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

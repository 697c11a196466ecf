// What the `carehub` command accepts: each command's options and help text, spelled once. cli-args.ts parses
// against this table (with node:util parseArgs, docs/decisions/0019-cli-parser.md); the help is printed from it.
import { AUDIT_ACTIONS, LIFECYCLE_EVENT_TYPES } from "@carehub/schemas";
import { SERVICE_NAMES } from "./service-catalogue.ts";

export type OptionKind = "text" | "number" | "flag";

export interface OptionSpec {
  kind: OptionKind;
  /** The value's placeholder in the help (text and number options). */
  value?: string;
  /** One letter that also names the flag (`-y`). */
  short?: string;
  help: string;
}

export interface CommandSpec {
  summary: string;
  /** What follows the command name in the usage line. */
  usage: string;
  options: Record<string, OptionSpec>;
  /** Whether the command takes positional arguments (services, files). */
  positionals: boolean;
  /** More lines for `carehub <command> --help`. */
  details?: string;
}

/**
 * The DLQ stages a dead letter can come from: the `stage` of every consumer that dead-letters (intake, router,
 * dispatcher, the tracker's event and status consumers). `redrive --stage` accepts only these.
 */
export const DLQ_STAGES = ["intake", "router", "dispatcher", "tracker", "tracker-status"] as const;

/** An option without a value. */
function flag(help: string, short?: string): OptionSpec {
  return short === undefined ? { kind: "flag", help } : { kind: "flag", short, help };
}

/** An option with a text value; `value` is its placeholder in the help. */
function text(value: string, help: string): OptionSpec {
  return { kind: "text", value, help };
}

/** An option with a number value; `value` is its placeholder in the help. */
function number(value: string, help: string): OptionSpec {
  return { kind: "number", value, help };
}

/** Options every command takes. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: flag("machine-readable output: one JSON value per line on stdout"),
  help: flag("this command's help", "h"),
};

/** Long operations print a progress line on stderr when it is a terminal; --progress asks for it anyway. */
const PROGRESS_OPTION = flag("progress lines on stderr even when it is not a terminal (never on stdout)");

/** Where the query API commands find the hub, and as whom. */
const QUERY_OPTIONS: Record<string, OptionSpec> = {
  url: text("URL", "the hub's gateway (default CAREHUB_URL, else http://127.0.0.1:8080)"),
  token: text("TOKEN", "an operator's bearer token (default CAREHUB_TOKEN)"),
};

export const COMMANDS: Record<string, CommandSpec> = {
  start: {
    summary: "run every service (--all) or only the services named, until SIGINT/SIGTERM",
    usage: "start --all | start <service>...",
    options: { all: flag("run every service in this process") },
    positionals: true,
    details: `services: ${SERVICE_NAMES.join(", ")}; run more copies to scale out.
every start serves /healthz, /readyz, /metrics on CAREHUB_OPS_PORT (9464).`,
  },
  demo: {
    summary: "run the hub with simulated practices, municipalities, hospitals and a lab",
    usage: "demo [options]",
    options: {
      seed: number("N", "seed of the simulated traffic"),
      rate: number("N", "messages per second"),
      duration: number("SECONDS", "stop after this long"),
      misbehave: flag("endpoints that are down, broken, refuse or negatively acknowledge"),
      "ack-timeout": number(
        "SECONDS",
        "how long the hub waits for each acknowledgement before it flags ack-overdue (default 45); 10 or less also front-loads --misbehave's failures into the first seconds",
      ),
    },
    positionals: false,
  },
  validate: {
    summary: "validate MedCom messages, walking directories; exit 1 if any is invalid",
    usage: "validate <file or dir>... | validate --summary <dir>",
    options: {
      summary: flag("summarise a corpus: counts per verdict, kind and format; mismatches against <dir>/manifest.json"),
    },
    positionals: true,
    details:
      "directories are walked recursively; one line per file (with --json: one JSON object per file). With --summary, one summary of the directory, exit 1 when a file differs from its manifest.",
  },
  redrive: {
    summary: "send dead letters again (default stage: dispatcher)",
    usage: "redrive [options]",
    options: {
      stage: text("STAGE", `the DLQ stage: ${DLQ_STAGES.join(", ")}`),
      endpoint: text("ID", "only deliveries to this endpoint (stage dispatcher)"),
      limit: number("N", "at most N"),
      progress: PROGRESS_OPTION,
    },
    positionals: false,
  },
  dlq: {
    summary: "list dead letters (dlq list), or send them again (dlq redrive, as redrive)",
    usage: "dlq list|redrive [options]",
    options: {
      stage: text("STAGE", `the DLQ stage: ${DLQ_STAGES.join(", ")} (list: default every stage)`),
      endpoint: text("ID", "only deliveries to this endpoint"),
      limit: number("N", "at most N"),
      progress: { ...PROGRESS_OPTION, help: `redrive: ${PROGRESS_OPTION.help}` },
    },
    positionals: true,
    details:
      "list shows each dead letter's sequence, time, stage, hub id, kind, error code and attempts; never the payload.",
  },
  messages: {
    summary:
      "list messages (messages list) or show one (messages show <hub id>) from the running hub's query API; follow lifecycle events live (messages tail)",
    usage: "messages list [options] | messages show <hub id> | messages tail [options]",
    options: {
      ...QUERY_OPTIONS,
      sender: text("ID", "list, tail: sent by this endpoint"),
      receiver: text("ID", "list, tail: to this endpoint"),
      kind: text("KIND", "list, tail: of this message kind"),
      status: text("STATUS", `list: in this status; tail: events of this type (${LIFECYCLE_EVENT_TYPES.join(", ")})`),
      count: number("N", "tail: stop after N events"),
      for: text("DURATION", "tail: stop after this long (30s, 5m, 1h)"),
      from: text("ISO", "list: received at or after"),
      to: text("ISO", "list: received at or before"),
      limit: number("N", "list: at most N (1-500, default 50)"),
      cursor: text("CURSOR", "list: the next page (printed on stderr after a page)"),
    },
    positionals: true,
    details: `list and show need an operator's token (CAREHUB_TOKEN or --token); the hub at CAREHUB_URL or --url.
tail reads the EVENTS stream (NATS_URL, CAREHUB_NAMESPACE) from now until Ctrl-C, --count or --for; it prints ids,
kinds, endpoints and codes, never an error's text or a patient identifier.`,
  },
  incidents: {
    summary: "the disruption log (incidents list|open|close) through the running console's API",
    usage:
      "incidents list [--state open|closed] | incidents open --note TEXT [options] | incidents close <id> [--note TEXT]",
    options: {
      url: text(
        "URL",
        "the console (default CAREHUB_CONSOLE_URL, else http://127.0.0.1:<CAREHUB_CONSOLE_PORT or 8090>)",
      ),
      token: QUERY_OPTIONS.token as OptionSpec,
      state: text("STATE", "list: only open or only closed incidents"),
      endpoints: text("IDS", "open: the affected endpoints, comma-separated"),
      kinds: text("KINDS", "open: the affected message kinds, comma-separated"),
      note: text("TEXT", "open: what is disrupted (required); close: how it ended"),
    },
    positionals: true,
    details: "open and close need an operator or admin token; CPR numbers in a note are replaced by [CPR].",
  },
  stats: {
    summary: "message counts per endpoint, kind and status from the running hub's query API",
    usage: "stats [options]",
    options: QUERY_OPTIONS,
    positionals: false,
    details: "needs an operator's token (CAREHUB_TOKEN or --token); the hub at CAREHUB_URL or --url.",
  },
  endpoints: {
    summary:
      "list the registry's endpoints (endpoints list): delivery, signing, kinds sent and accepted; check their health (endpoints check)",
    usage: "endpoints list | endpoints check [endpoint id]",
    options: {},
    positionals: true,
    details: `reads the registry file CAREHUB_REGISTRY names; never prints a secret, token digest or key.
check: per endpoint, whether its webhook answers an HTTP HEAD (within its delivery timeout), its circuit breaker,
its delivery backlog and its last delivery (NATS and Redis of CAREHUB_NAMESPACE); exit 1 when any checked endpoint
is unhealthy (no answer, a 5xx answer, or a circuit not closed).`,
  },
  provision: {
    summary: "create or update the JetStream streams (idempotent), then exit",
    usage: "provision",
    options: {},
    positionals: false,
  },
  rebuild: {
    summary: "drop the Redis read model and rebuild it from the streams (asks first)",
    usage: "rebuild [--yes] [--progress]",
    options: {
      yes: flag("do not ask: drop the read model (needed without a terminal)", "y"),
      progress: PROGRESS_OPTION,
    },
    positionals: false,
  },
  audit: {
    summary: "print query API access records, oldest first",
    usage: "audit [options]",
    options: {
      since: text(
        "ISO|DURATION",
        "since a time (2025-01-31, 2025-01-31T08:00:00Z) or a duration ago (90m, 24h, 30d, 2w)",
      ),
      actor: text("ID", "by operator or endpoint id"),
      action: text("ACTION", `by action: ${AUDIT_ACTIONS.join(", ")}`),
      resource: text("ID", "by a hub, referral or task id asked for or shown"),
      limit: number("N", "at most N"),
    },
    positionals: false,
  },
  record: {
    summary: 'capture INGRESS traffic into a recording (JSON Lines, docs/contracts.md "Recordings")',
    usage: "record [options]",
    options: {
      from: text("ISO", "messages stored at or after this time"),
      to: text("ISO", "messages stored at or before this time"),
      endpoint: text("ID", "only messages sent by this endpoint"),
      kind: text("KIND", "only messages of this kind"),
      limit: number("N", "at most N messages"),
      out: text("FILE", "write the recording here (default: stdout)"),
      anonymise: flag(
        "replace CPR numbers, names, addresses and free text with synthetic ones (one patient stays one synthetic patient)",
      ),
    },
    positionals: false,
    details:
      "each message with its exact bytes, sender, headers, receive time and the hub's final status per receiver; progress and a summary on stderr. Without --anonymise the recording holds patient data as sent: keep it as you keep INGRESS.",
  },
  replay: {
    summary: "send a recording into the hub and compare its outcomes with the recorded ones",
    usage: "replay <file> [options]",
    options: {
      pace: number("FACTOR", "keep the recorded pace, sped up by FACTOR (default: as fast as the hub takes them)"),
      timeout: number("SECONDS", "wait at most this long for the recorded outcomes (default 60)"),
    },
    positionals: true,
    details:
      "per-sender order is the recording's; prints the count per final status and every message whose outcome differs (exit 1 when any does).",
  },
  "nats-config": {
    summary: "write the nats-server authorization from the registry",
    usage: "nats-config [options]",
    options: {
      namespace: text("NS", "the namespace (default CAREHUB_NAMESPACE)"),
      out: text("FILE", "write here (default: stdout)"),
      "create-inbox-consumers": flag("first make each endpoint's inbox consumer, as the hub (infra/nats/README.md)"),
    },
    positionals: false,
    details:
      "the hub user (NATS_USER, NATS_PASS) and each endpoint's own nkey user; the file is the output, so --json changes nothing.",
  },
  help: { summary: "this text, or a command's help", usage: "help [command]", options: {}, positionals: true },
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

function optionLine(name: string, spec: OptionSpec): string {
  const flag = `${spec.short === undefined ? "" : `-${spec.short}, `}--${name}${spec.value === undefined ? "" : ` ${spec.value}`}`;
  return `  ${flag.padEnd(30)} ${spec.help}`;
}

/** `carehub --help`. */
export function usage(): string {
  const lines = COMMAND_NAMES.map((name) => `  ${name.padEnd(14)} ${COMMANDS[name]?.summary ?? ""}`);
  return `usage: carehub <command> [options]

commands:
${lines.join("\n")}

options:
  -h, --help                     help (after a command: that command's help)
  -V, --version                  the version
  --json                         on every command: machine-readable output on stdout; logs go to stderr

configuration comes from the environment (NATS_URL, REDIS_URL, CAREHUB_NAMESPACE, CAREHUB_REGISTRY, ...; see README).`;
}

/** `carehub <command> --help`. */
export function commandHelp(name: string): string {
  const spec = COMMANDS[name];
  if (spec === undefined) return usage();
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const lines = Object.entries(options).map(([option, optionSpec]) => optionLine(option, optionSpec));
  return `usage: carehub ${spec.usage}

${spec.summary}${spec.details === undefined ? "" : `\n${spec.details}`}

options:
${lines.join("\n")}`;
}

/** The closest known name within two edits (or sharing a prefix of three), for "did you mean". */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(word, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  if (best === undefined) return undefined;
  if (best.distance <= 2 && best.distance < word.length) return best.name;
  const prefix = known.find((name) => word.length >= 3 && (name.startsWith(word) || word.startsWith(name)));
  return prefix;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

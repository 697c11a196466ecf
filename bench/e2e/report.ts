/** bench/results/e2e.{json,md}: the figures, and each target of issue 15 as a ratio or a value. */
import type { BareResult } from "./bare.ts";
import type { HubResult } from "./hub.ts";
import type { ProfileSummary } from "./profile.ts";

export interface SuiteResult {
  date: string;
  command: string;
  node: string;
  natsServer: string;
  cpus: number;
  loadAverage: { before: number[]; after: number[] };
  meanPayloadBytes: number;
  bare: BareResult[];
  hub: HubResult[];
  profile: ProfileSummary | null;
  /** Scenarios that failed (a loss, a duplicate, an error): the run exits 1. */
  failures: string[];
}

const fmt = (n: number) => n.toLocaleString("en-US");
const pct = (n: number) => `${Math.round(n * 100)}%`;

function processCell(result: { processes: Record<string, { cpuMicrosPerMsg: number; peakRssMB: number }> }): string {
  return Object.entries(result.processes)
    .map(([name, p]) => `${name} ${fmt(p.cpuMicrosPerMsg)} µs / ${p.peakRssMB} MB`)
    .join("; ");
}

export interface Target {
  target: string;
  goal: string;
  now: string;
  met: boolean | null;
}

export function targets(result: SuiteResult): Target[] {
  const ceiling = result.bare.find((b) => !b.redisPerHop)?.msgsPerSec ?? 0;
  const webhook = result.hub.find(
    (h) =>
      h.delivery === "webhook" && h.feed !== "nats" && h.offeredRate === null && !h.scenario.includes("per service"),
  );
  const at500 = result.hub.find((h) => h.offeredRate === 500);
  const peakRss = Math.max(...result.hub.filter((h) => h.processes.hub).map((h) => h.processes.hub?.peakRssMB ?? 0));
  const ratio = webhook === undefined || ceiling === 0 ? 0 : webhook.msgsPerSec / ceiling;
  const backlogMinutes = webhook === undefined ? 0 : 1_000_000 / webhook.msgsPerSec / 60;
  const streamRatio = webhook === undefined ? 0 : webhook.streamBytesPerMsg / result.meanPayloadBytes;
  return [
    {
      target: "throughput, all-in-one, HTTP in, webhook out",
      goal: "≥ 50% of the bare three-hop ceiling (moonshot 80%)",
      now: `${fmt(webhook?.msgsPerSec ?? 0)} / ${fmt(ceiling)} msg/s = ${pct(ratio)}`,
      met: ratio >= 0.5,
    },
    {
      target: "p99 gateway → receiver at 500 msg/s offered",
      goal: "≤ 50 ms",
      now: at500 === undefined ? "not run" : `${fmt(at500.latencyMs.p99)} ms (p50 ${fmt(at500.latencyMs.p50)} ms)`,
      met: at500 === undefined ? null : at500.latencyMs.p99 <= 50,
    },
    {
      target: "1,000,000-message backlog drained",
      goal: "≤ 8 minutes",
      now: `≈ ${Math.round(backlogMinutes)} min at the measured throughput (extrapolated, not run)`,
      met: backlogMinutes <= 8,
    },
    {
      target: "Redis per message",
      goal: "≤ 600 B at 30 days' retention",
      now: `${fmt(webhook?.redisBytesPerMsg ?? 0)} B, ${webhook?.redisKeysPerMsg ?? 0} keys right after the run (markers with TTLs included)`,
      met: (webhook?.redisBytesPerMsg ?? Number.POSITIVE_INFINITY) <= 600,
    },
    {
      target: "streams per message",
      goal: "≤ about 2× the payload",
      now: `${fmt(webhook?.streamBytesPerMsg ?? 0)} B for a ${fmt(result.meanPayloadBytes)} B mean payload = ${streamRatio.toFixed(1)}×`,
      met: streamRatio <= 2,
    },
    {
      target: "all-in-one hub RSS under sustained load",
      goal: "≤ 400 MB",
      now: `peak ${fmt(peakRss)} MB`,
      met: peakRss <= 400,
    },
  ];
}

export function renderMarkdown(result: SuiteResult): string {
  const lines: string[] = [];
  lines.push("# End-to-end benchmark", "");
  lines.push(
    `\`${result.command}\` — ${result.date}, Node ${result.node}, nats-server ${result.natsServer}, ${result.cpus} cores.`,
  );
  lines.push(
    `Load average before / after: ${result.loadAverage.before.map((l) => l.toFixed(1)).join(" ")} / ${result.loadAverage.after
      .map((l) => l.toFixed(1))
      .join(" ")} (the machine is shared: compare ratios within this run, not absolute figures across runs).`,
  );
  lines.push(
    `Private nats-server and redis-server per run; message mix mean payload ${fmt(result.meanPayloadBytes)} B.`,
    "",
  );
  if (result.failures.length > 0) lines.push("**FAILED:**", "", ...result.failures.map((f) => `- ${f}`), "");
  lines.push("## Targets (issue 15)", "", "| target | goal | now | met |", "| --- | --- | --- | --- |");
  for (const t of targets(result))
    lines.push(`| ${t.target} | ${t.goal} | ${t.now} | ${t.met === null ? "–" : t.met ? "yes" : "no"} |`);
  lines.push("", "## Bare pipeline (the ceiling)", "");
  lines.push(
    "| scenario | messages | msg/s | p50 / p99 ms (backlogged) | stream B/msg (4 copies) | CPU µs per message / peak RSS, per process |",
  );
  lines.push("| --- | ---: | ---: | ---: | ---: | --- |");
  for (const b of result.bare)
    lines.push(
      `| ${b.scenario} | ${fmt(b.messages)} | ${fmt(b.msgsPerSec)} | ${b.latencyMs.p50} / ${b.latencyMs.p99} | ${fmt(b.streamBytesPerMsg)} | ${processCell(b)} |`,
    );
  lines.push("", "## Hub", "");
  lines.push(
    "| scenario | messages | delivered msg/s | gateway 202/s | p50 / p99 / p99.9 ms | Redis B, keys, commands /msg | stream B/msg | CPU µs per message / peak RSS, per process |",
  );
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const h of result.hub)
    lines.push(
      `| ${h.scenario} | ${fmt(h.messages)} | ${fmt(h.msgsPerSec)} | ${fmt(h.acceptedPerSec)} | ${h.latencyMs.p50} / ${h.latencyMs.p99} / ${h.latencyMs.p999} | ${fmt(h.redisBytesPerMsg)}, ${h.redisKeysPerMsg}, ${h.redisCommandsPerMsg ?? "–"} | ${fmt(h.streamBytesPerMsg)} | ${processCell(h)} |`,
    );
  const first = result.hub[0];
  if (first?.redisCommands !== undefined)
    lines.push(
      "",
      `Redis commands per message (${first.scenario}): ${Object.entries(first.redisCommands)
        .map(([name, calls]) => `${name} ${calls}`)
        .join(", ")}.`,
    );
  for (const h of result.hub) {
    if (h.redisRequests === undefined) continue;
    lines.push(
      "",
      `Redis commands as clients sent them, per message, scripts' own left out (${h.scenario}): ${h.redisRequestsPerMsg} — ${Object.entries(
        h.redisRequests,
      )
        .map(([name, calls]) => `${name} ${calls}`)
        .join(", ")}.`,
    );
    if (h.redisRequestBytes !== undefined)
      lines.push(
        "",
        `Their bytes per message (RESP, ${h.scenario}): ${h.redisRequestBytesPerMsg} B — ${Object.entries(
          h.redisRequestBytes,
        )
          .map(([name, bytes]) => `${name} ${bytes}`)
          .join(", ")}.`,
      );
  }
  for (const h of result.hub.filter((h) => h.delivery !== "inbox" && h.offeredRate === null)) {
    const classes = h.redisByKeyClass;
    if (classes === undefined) continue;
    const total = Object.values(classes).reduce((sum, c) => sum + c.bytes, 0);
    lines.push(
      "",
      `Redis by class of key, per message, MEMORY USAGE (${h.scenario}): ${fmt(total)} B — ${Object.entries(classes)
        .map(([name, c]) => `${name} ${fmt(c.bytes)} B${c.keys >= 0.5 ? ` (${c.keys} keys)` : ""}`)
        .join(", ")}.`,
    );
  }
  const streams = result.hub[0]?.streamBytes;
  if (streams !== undefined)
    lines.push(
      "",
      `Stream bytes per message by stream (${result.hub[0]?.scenario}): ${Object.entries(streams)
        .filter(([, b]) => b > 0)
        .map(([name, b]) => `${name.replace(/^[^_]+_/, "")} ${fmt(b)}`)
        .join(", ")}.`,
    );
  const stored = result.hub.filter((h) => h.streamMessages !== undefined);
  if (stored.length > 0)
    lines.push(
      "",
      "Stream messages stored per message sent (EVENTS: lifecycle events per message):",
      ...stored.map(
        (h) =>
          `- ${h.scenario}: ${Object.entries(h.streamMessages)
            .filter(([, n]) => n > 0)
            .map(([name, n]) => `${name.replace(/^[^_]+_/, "")} ${n}`)
            .join(", ")}`,
      ),
    );
  if (result.profile !== null) {
    lines.push(
      "",
      `## Profile of the all-in-one hub (webhook run, ${fmt(result.profile.samples)} samples, self time)`,
      "",
    );
    const charged = new Map(result.profile.charged.map((a) => [a.name, a.share]));
    const areas = [...new Set([...result.profile.charged, ...result.profile.areas].map((a) => a.name))];
    const self = new Map(result.profile.areas.map((a) => [a.name, a.share]));
    lines.push("| area | self | with the Node internals and native code it calls |", "| --- | ---: | ---: |");
    for (const name of areas.slice(0, 18))
      lines.push(`| ${name} | ${self.get(name) ?? 0}% | ${charged.has(name) ? `${charged.get(name)}%` : "–"} |`);
    lines.push("", "| function | share |", "| --- | ---: |");
    for (const f of result.profile.functions.slice(0, 20)) lines.push(`| \`${f.name}\` | ${f.share}% |`);
  }
  lines.push(
    "",
    "Latency is gateway → receiver: from the moment the driver sent the request to the moment the receiver had the",
    "message. In the as-fast-as-possible runs the sender keeps a window of requests in flight, so latency there is",
    "queueing, not a target. Every run counts deliveries (and acknowledgements) by message id and fails on any loss",
    "or duplicate. CPU is user + system time of each process over the measured interval (warm-up excluded) divided",
    "by the messages of the run; `driver` is the sender and the receivers.",
    "",
  );
  return lines.join("\n");
}

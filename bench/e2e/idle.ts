/**
 * pnpm bench:idle [--settle-seconds=20] [--window-seconds=10] [--no-compile-cache] — what an idle hub costs (issue 15 item 3: "RSS of an
 * idle process well under 100 MB").
 *
 * On a private nats-server and redis-server, the hub as operators start it (`carehub start`, through the CLI, so
 * with the flags it re-execs itself with, docs/decisions/0076): first all in one process, then one process per
 * service, all six at once. Each is left alone for the settle time after it printed "carehub running", then its
 * RSS and CPU are read from /proc over the window: no message is sent, so this is the floor every deployment pays
 * (connections, consumers, pollers, timers, the event-loop monitor), with the RSS of any process one of them started
 * and keeps beside it. `--no-compile-cache` starts them with
 * NODE_DISABLE_COMPILE_CACHE=1 (docs/decisions/0096), for a before/after in one checkout. Results:
 * bench/results/idle.{md,json} (idle-no-compile-cache.* with the flag). `--checkout=<dir>` measures another
 * checkout's `carehub` (the "before" of an alternated pair) with this bench, and only prints its table.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { childProcesses } from "@carehub/testkit";
import { benchRegistry, ENDPOINTS } from "./hub-registry.ts";
import { sampleProcess, startInfra } from "./infra.ts";

const OWN_CLI = fileURLToPath(new URL("../../services/hub/src/cli.ts", import.meta.url));
const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const SERVICES = ["gateway", "intake", "router", "dispatcher", "tracker", "console"] as const;
/** The bound the issue sets for an idle process. */
const IDLE_RSS_BOUND_MB = 100;

const { values } = parseArgs({
  options: {
    "settle-seconds": { type: "string", default: "20" },
    "window-seconds": { type: "string", default: "10" },
    "no-compile-cache": { type: "boolean", default: false },
    checkout: { type: "string" },
  },
});
const CLI = values.checkout === undefined ? OWN_CLI : resolve(values.checkout, "services/hub/src/cli.ts");
const settleMs = Number(values["settle-seconds"]) * 1_000;
const windowMs = Number(values["window-seconds"]) * 1_000;
const noCompileCache = values["no-compile-cache"];

interface Started {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/** What each measured process ran: the start bundle (docs/decisions/0105) when the checkout's is fresh, else the sources. */
const ranFrom = new Set<string>();
function noteWhatRan({ child }: Started): void {
  const commandLine = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
  ranFrom.add(commandLine.some((arg) => arg.endsWith("/dist/start/cli.js")) ? "the start bundle" : "the sources");
}

/** `carehub start --all` or `carehub start <service>`; resolves once it printed its "carehub running" line. */
function startCarehub(name: string, service: string | undefined, env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [CLI, "start", service ?? "--all"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
      if (output.includes("carehub running")) resolve({ name, child, exited });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then(() => reject(new Error(`${name} exited before it started:\n${output}`)));
  });
}

interface IdleFigure {
  process: string;
  rssMb: number;
  /** RssAnon: the process's own memory; the rest of its RSS is file pages (the node binary) shared with others. */
  privateMb: number;
  /** Pss: its own pages plus its share of the pages it shares (the node binary's, divided by the processes mapping them). */
  pssMb: number;
  peakRssMb: number;
  cpuPercent: number;
  /** The RSS of the processes it started and keeps (the console's esbuild service did, docs/decisions/0121). */
  childrenRssMb: number;
}

/** The RSS of every process below `pid` (children, theirs, …), bytes; 0 when it started none. */
function descendantsRssBytes(pid: number): number {
  return childProcesses(pid).reduce((sum, { pid: child }) => {
    try {
      return sum + sampleProcess(child).rssBytes + descendantsRssBytes(child);
    } catch {
      return sum;
    }
  }, 0);
}

async function measure(started: readonly Started[]): Promise<IdleFigure[]> {
  for (const one of started) noteWhatRan(one);
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const before = started.map(({ child }) => sampleProcess(child.pid as number));
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return started.map(({ name, child }, i) => {
    const after = sampleProcess(child.pid as number);
    return {
      process: name,
      rssMb: Math.round(after.rssBytes / 1_048_576),
      privateMb: Math.round(
        Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) / 1_024,
      ),
      pssMb: Math.round(
        Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/smaps_rollup`, "utf8"))?.[1] ?? 0) / 1_024,
      ),
      peakRssMb: Math.round(after.peakRssBytes / 1_048_576),
      cpuPercent: Math.round((1_000 * (after.cpuMicros - (before[i]?.cpuMicros ?? 0))) / (windowMs * 1_000)) / 10,
      childrenRssMb: Math.round(descendantsRssBytes(child.pid as number) / 1_048_576),
    };
  });
}

async function stop(started: readonly Started[]): Promise<void> {
  for (const { child } of started) child.kill("SIGTERM");
  await Promise.all(started.map(({ exited }) => exited));
}

const infra = await startInfra();
const dir = mkdtempSync(join(tmpdir(), "carehub-idle-"));
const loadBefore = loadavg();
const figures: { layout: string; processes: IdleFigure[] }[] = [];
try {
  const registryPath = join(dir, "endpoints.json");
  // Webhook receivers that are never called: nothing is sent.
  writeFileSync(
    registryPath,
    JSON.stringify(
      benchRegistry("webhook", Object.fromEntries(ENDPOINTS.map(({ id }) => [id, "http://127.0.0.1:9/"]))),
    ),
  );
  const env = (namespace: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    NATS_URL: infra.natsUrl,
    REDIS_URL: infra.redisUrl,
    CAREHUB_NAMESPACE: namespace,
    CAREHUB_REGISTRY: registryPath,
    CAREHUB_HTTP_PORT: "0",
    CAREHUB_OPS_PORT: "0",
    LOG_LEVEL: "warn",
    ...(noCompileCache ? { NODE_DISABLE_COMPILE_CACHE: "1" } : {}),
  });
  const allInOne = [await startCarehub("all in one", undefined, env("idle1"))];
  figures.push({ layout: "all in one (`carehub start --all`)", processes: await measure(allInOne) });
  await stop(allInOne);
  const split = await Promise.all(SERVICES.map((service) => startCarehub(service, service, env("idle5"))));
  figures.push({ layout: "one process per service (`carehub start <service>`)", processes: await measure(split) });
  await stop(split);
} finally {
  await infra.stop();
  rmSync(dir, { recursive: true, force: true });
}

const command = `pnpm bench:idle --settle-seconds=${settleMs / 1_000} --window-seconds=${windowMs / 1_000}${noCompileCache ? " --no-compile-cache" : ""}${values.checkout === undefined ? "" : " --checkout=<another checkout>"}`;
const results = noCompileCache ? "idle-no-compile-cache" : "idle";
const rows = figures.flatMap(({ layout, processes }) =>
  processes.map(
    (p) =>
      `| ${layout} | ${p.process} | ${p.rssMb} | ${p.privateMb} | ${p.pssMb} | ${p.peakRssMb} | ${p.cpuPercent} | ${p.childrenRssMb} | ${p.rssMb + p.childrenRssMb < IDLE_RSS_BOUND_MB ? "yes" : "no"} |`,
  ),
);
const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(" / ");
const markdown = [
  `# An idle hub (${new Date().toISOString()})`,
  "",
  `Command: \`${command}\`. ${cpus().length} CPUs, Node ${process.version}, load average (1/5/15 min) ${load(loadBefore)} before, ${load(loadavg())} after.`,
  "",
  `Each process was left alone ${settleMs / 1_000} s after it printed "carehub running", then read from /proc over ${windowMs / 1_000} s; no message was sent. The processes ran ${[...ranFrom].join(" and ")}.`,
  "",
  `| layout | process | RSS MB | of it private (RssAnon) MB | Pss MB | peak RSS MB | CPU % of a core | its child processes' RSS MB | RSS with them under ${IDLE_RSS_BOUND_MB} MB |`,
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ...rows,
  "",
].join("\n");
if (values.checkout === undefined) {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${results}.md`), markdown);
  writeFileSync(join(RESULTS, `${results}.json`), `${JSON.stringify({ command, loadBefore, figures }, null, 2)}\n`);
}
console.log(markdown);

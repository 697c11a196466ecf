/**
 * node bench/e2e/pair.ts [--messages=1500] [--rate=100] [--delivery=webhook|inbox|acks] [--feed=http|nats] [--profile=path]
 *   [--profile-driver=path] [--heap-profile=path] [--split] [--bare-messages=20000] [--hub-flags=--max-semi-space-size=8,...]
 *
 * One hub scenario and the same run's bare ceiling, printed as one line: for before/after comparisons, run it in
 * two checkouts alternately (docs/performance.md, "Coalesced socket writes"). Besides what `runHub` measures
 * (throughput, latency, CPU per message of each process), it reads the hub process's write and read syscalls and
 * the bytes they moved (`/proc/<pid>/io`: sockets, pipes and files alike), the share of its CPU spent in the kernel
 * (`/proc/<pid>/stat`), the bytes clients sent to and got from Redis (`INFO stats`), per message, and the bytes the
 * streams grew by per message sent, in all and by stream (as `bench:e2e` reports them); warm-up and
 * start-up included, so compare them between runs, not with the CPU figures. `--split` runs one process per service
 * (gateway, intake, router, dispatcher, tracker), so the CPU per message of each stage is printed on its own; the
 * syscall counts then cover none of them. `--feed=nats` sends over the senders' own NATS ingress subjects instead of HTTP.
 * `--hub-flags` starts the hub process(es) with these node flags (comma-separated) instead of `carehub start`'s own
 * (HUB_NODE_FLAGS, services/hub/src/node-flags.ts: `--max-semi-space-size=16` since 0137, 8 before), the default since the evening round of
 * 2026-12-07; `--hub-flags=` runs them with none, as every figure before it did. After the figures
 * above the line gives the latency's p99.9 and maximum and, for the driver and each hub process, the event loop's
 * delay and the garbage collections over the measured load (bench/e2e/loop.ts). `--heap-profile=path` takes a
 * sampling heap profile of the hub process over the measured load, garbage included (bench/e2e/heap-profile.ts), and
 * prints the bytes it estimates were allocated per measured message and the top sites.
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { runBare } from "./bare.ts";
import type { Feed } from "./feed.ts";
import { summariseHeapProfile } from "./heap-profile.ts";
import { runHub, SERVICES, splitProfilePath } from "./hub.ts";
import type { DeliveryMode } from "./hub-registry.ts";
import { startInfra } from "./infra.ts";
import { describeLoop } from "./loop.ts";
import { sharesByStack, summariseProfile } from "./profile.ts";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const messages = Number(value("messages") ?? 1_500);
const rate = value("rate") === undefined ? undefined : Number(value("rate"));
const delivery = (value("delivery") ?? "webhook") as DeliveryMode;
const feed = (value("feed") ?? "http") as Feed;
const profilePath = value("profile");
const driverProfilePath = value("profile-driver");
const heapProfilePath = value("heap-profile");
const split = args.includes("--split");
const bareMessages = Number(value("bare-messages") ?? 20_000);
const hubFlags = args
  .find((a) => a.startsWith("--hub-flags="))
  ?.slice("--hub-flags=".length)
  .split(",")
  .filter((flag) => flag !== "");
const WARM_UP = 100;
/** What the driver's CPU goes to (--profile-driver): each sample by the nearest frame that names its part. */
const DRIVER_PARTS = [
  [
    "sending (SDK client / fetch, node:http client)",
    /undici|webstreams|_http_client|_http_agent|hub-client|http-transport|e2e\/(hub|window|feed)\.ts/,
  ],
  [
    "receiving (node:http server, SDK webhook handler, inboxes)",
    /_http_server|e2e\/receivers\.ts|webhook-handler|webhook-signature|client\/src\/receiver|inbox-consumer|medcom/,
  ],
  ["making messages", /e2e\/messages\.ts/],
  ["measuring (/proc, Redis INFO)", /e2e\/(pair|measure|infra)\.ts|^ (readdir|readFileUtf8)$/],
  ["NATS client", /@nats-io/],
] as const;

const hubScript = fileURLToPath(new URL("./hub-process.ts", import.meta.url));
const io = { writes: 0, reads: 0, wchar: 0, rchar: 0, userTicks: 0, systemTicks: 0 };
// The hub's processes (one, or one per service with --split) live only during the scenario: sample them while they
// do, summed. Found by listing /proc until all are there, then read alone: listing every process 20 times a second
// cost the driver ~4 % of its CPU (decision 0126).
const hubProcesses = split ? SERVICES.length : 1;
let hubPids: string[] = [];
/** Each hub process's last reading, kept once it ended. */
const readings = new Map<string, typeof io>();
const findHubs = () =>
  readdirSync("/proc").filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(hubScript);
    } catch {
      return false; // gone between the listing and the read
    }
  });
const sampler = setInterval(() => {
  if (hubPids.length < hubProcesses) hubPids = findHubs();
  for (const pid of hubPids) {
    try {
      const text = readFileSync(`/proc/${pid}/io`, "utf8");
      // utime and stime: fields 14 and 15, counted from the command name's closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      readings.set(pid, {
        writes: Number(/syscw: (\d+)/.exec(text)?.[1] ?? 0),
        reads: Number(/syscr: (\d+)/.exec(text)?.[1] ?? 0),
        wchar: Number(/wchar: (\d+)/.exec(text)?.[1] ?? 0),
        rchar: Number(/rchar: (\d+)/.exec(text)?.[1] ?? 0),
        userTicks: Number(fields[11]),
        systemTicks: Number(fields[12]),
      });
    } catch {
      // Ended: its last reading stands.
    }
  }
  for (const key of Object.keys(io) as Array<keyof typeof io>)
    io[key] = [...readings.values()].reduce((sum, reading) => sum + reading[key], 0);
}, 50);

const infra = await startInfra();
const loadBefore = loadavg()[0] ?? 0;
const tag = `pair${Date.now().toString(36)}`;
try {
  // The ceiling is run before and after the hub, each `--bare-messages` long (20,000: about 6 s each on a quiet
  // machine): one short run (1,000 messages, under a second, no warm-up) swung 2× from run to run and stayed well
  // below the pipeline's steady rate (1,000–1,500 msg/s against 2,700–3,700 over 20,000 on the same quiet machine),
  // which made every ratio printed before look about 1.5× better than it is; the two runs say whether the machine
  // itself changed during the pair, and the ratio is taken to their mean.
  const bareRun = (n: number) =>
    runBare(infra, { messages: bareMessages, mix: "mixed", redisPerHop: false, tag: `${tag}b${n}` });
  const bareBefore = await bareRun(1);
  const redis = new Redis(infra.redisUrl);
  const net = async () => {
    const stats = await redis.info("stats");
    const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(stats)?.[1] ?? 0);
    return { in: field("total_net_input_bytes"), out: field("total_net_output_bytes") };
  };
  const netBefore = await net();
  const hub = await runHub(
    infra,
    {
      name: `${feed === "nats" ? "NATS ingress in, " : ""}${delivery}${rate === undefined ? "" : ` at ${rate} msg/s`}${split ? ", one process per service" : ""}`,
      split,
      delivery,
      feed,
      messages,
      mix: "mixed",
      ...(rate === undefined ? {} : { rate }),
      ...(profilePath === undefined ? {} : { profilePath }),
      ...(driverProfilePath === undefined ? {} : { driverProfilePath }),
      ...(heapProfilePath === undefined ? {} : { heapProfilePath }),
      ...(hubFlags === undefined ? {} : { hubFlags }),
    },
    `${tag}h`,
  );
  clearInterval(sampler);
  const netAfter = await net();
  redis.disconnect();
  const bareAfter = await bareRun(2);
  const bareRate = (bareBefore.msgsPerSec + bareAfter.msgsPerSec) / 2;
  // What every process of each pipeline spends per message (hub: the hub, the driver, nats-server, redis-server):
  // on a CPU-bound machine the throughput ratio tends to the inverse of this one, and it moves far less with the
  // machine's other load than a rate does.
  const stackCpu = (processes: Record<string, { cpuMicrosPerMsg: number }>) =>
    Object.values(processes).reduce((sum, p) => sum + p.cpuMicrosPerMsg, 0);
  const bareCpu = (stackCpu(bareBefore.processes) + stackCpu(bareAfter.processes)) / 2;
  const hubCpu = stackCpu(hub.processes);
  const per = (n: number) => (n / (messages + WARM_UP)).toFixed(1);
  const cpu = Object.entries(hub.processes)
    .map(([name, p]) => `${name.replace(" (sender + receivers)", "")} ${p.cpuMicrosPerMsg} µs`)
    .join(", ");
  const streams = Object.entries(hub.streamBytes)
    .map(([name, bytes]) => `${name.slice(name.lastIndexOf("_") + 1)} ${bytes}`)
    .join(", ");
  console.log(
    `load ${loadBefore.toFixed(1)}/${(loadavg()[0] ?? 0).toFixed(1)}; ` +
      `bare ${bareBefore.msgsPerSec} / ${bareAfter.msgsPerSec} msg/s (before / after the hub); ` +
      `hub ${hub.msgsPerSec} msg/s = ${((100 * hub.msgsPerSec) / bareRate).toFixed(1)} %; ` +
      `stack CPU per message bare ${Math.round(bareCpu)} µs, hub ${Math.round(hubCpu)} µs = ${((100 * bareCpu) / hubCpu).toFixed(1)} %; ` +
      `p50 ${hub.latencyMs.p50} / p99 ${hub.latencyMs.p99} ms; CPU per message: ${cpu}; ` +
      `hub write / read syscalls per message ${per(io.writes)} / ${per(io.reads)}; ` +
      `hub bytes written / read per message ${per(io.wchar)} / ${per(io.rchar)}; ` +
      `hub system time ${((100 * io.systemTicks) / Math.max(1, io.userTicks + io.systemTicks)).toFixed(1)} % of its CPU; ` +
      `Redis bytes in / out per message ${per(netAfter.in - netBefore.in)} / ${per(netAfter.out - netBefore.out)}; ` +
      `stream bytes per message ${hub.streamBytesPerMsg} (${streams}); ` +
      `lost ${hub.lost}, duplicates ${hub.duplicates}; ` +
      `p99.9 ${hub.latencyMs.p999} / max ${hub.latencyMs.max} ms; ` +
      Object.entries(hub.loops)
        .map(([name, figures]) => `${name} ${describeLoop(figures)}`)
        .join("; "),
  );
  if (driverProfilePath !== undefined) {
    const summary = summariseProfile(driverProfilePath, 30);
    console.log(`driver profile ${driverProfilePath}: ${summary.samples} samples`);
    for (const part of sharesByStack(driverProfilePath, DRIVER_PARTS))
      console.log(`  part ${part.share} % ${part.name}`);
    for (const spot of summary.areas.slice(0, 15)) console.log(`  area ${spot.share} % ${spot.name}`);
    for (const spot of summary.functions.slice(0, 30)) console.log(`  ${spot.share} % ${spot.name}`);
  }
  if (profilePath !== undefined) {
    const paths = split ? SERVICES.map((service) => splitProfilePath(profilePath, service)) : [profilePath];
    for (const path of paths) {
      const summary = summariseProfile(path, 30);
      console.log(`profile ${path}: ${summary.samples} samples`);
      for (const spot of summary.charged.slice(0, 20)) console.log(`  charged ${spot.share} % ${spot.name}`);
      for (const spot of summary.functions.slice(0, 30)) console.log(`  ${spot.share} % ${spot.name}`);
    }
  }
  if (heapProfilePath !== undefined) {
    const heap = summariseHeapProfile(heapProfilePath, 30);
    const kb = (bytes: number) => (bytes / 1024).toFixed(1);
    console.log(
      `heap profile ${heapProfilePath}: ${(heap.bytes / 1048576).toFixed(1)} MiB sampled over the measured load, ` +
        `${kb(heap.bytes / messages)} KiB per message`,
    );
    const print = (label: string, spots: typeof heap.functions, n: number) => {
      for (const spot of spots.slice(0, n))
        console.log(`  ${label}${spot.share} % ${kb(spot.bytes / messages)} KiB/msg ${spot.name}`);
    };
    print("area ", heap.areas, 12);
    print("charged ", heap.charged, 12);
    print("own ", heap.own, 25);
    print("", heap.functions, 30);
  }
} finally {
  clearInterval(sampler);
  await infra.stop();
}
process.exit(0);

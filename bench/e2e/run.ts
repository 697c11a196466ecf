/**
 * pnpm bench:e2e [--quick] [--profile] [--split] [--copies=N] [--rates=100,500,2000] [--rate-seconds=8] [--mix=mixed]
 * The bare three-hop JetStream pipeline, then the hub, on private servers in one run; results in
 * bench/results/e2e.{json,md} (e2e-quick.* with --quick). Exit 1 on any loss, duplicate or failure.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { runBare } from "./bare.ts";
import { runHub } from "./hub.ts";
import { startInfra } from "./infra.ts";
import { messageAt } from "./messages.ts";
import { summariseProfile } from "./profile.ts";
import { renderMarkdown, type SuiteResult } from "./report.ts";
import { parseSuiteArgs, plan } from "./suite.ts";

const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const args = process.argv.slice(2);
const options = parseSuiteArgs(args);
const profilePath = join(RESULTS, "profiles", `hub-${options.quick ? "quick" : "full"}.cpuprofile`);
const { bareMessages, hub } = plan(options, profilePath);
const run = `r${Date.now().toString(36)}`;
const loadBefore = loadavg();
const started = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${line}`);

const failures: string[] = [];
const infra = await startInfra();
let natsServer = "unknown";
const result: SuiteResult = {
  date: new Date().toISOString(),
  command: `pnpm bench:e2e${args.length > 0 ? ` ${args.join(" ")}` : ""}`,
  node: process.version,
  natsServer,
  cpus: cpus().length,
  loadAverage: { before: loadBefore, after: [] },
  meanPayloadBytes: Math.round(
    Array.from({ length: 100 }, (_, i) => messageAt(options.mix, i, run).body.length).reduce((a, b) => a + b, 0) / 100,
  ),
  bare: [],
  hub: [],
  profile: null,
  failures,
};
try {
  const nc = await connect({ servers: infra.natsUrl });
  natsServer = nc.info?.version ?? natsServer;
  await nc.close();
  result.natsServer = natsServer;
  // Warm-up, not reported: the first run on a fresh nats-server also pays for its store's first files.
  await runBare(infra, { messages: 500, mix: options.mix, redisPerHop: false, tag: `${run}-warm` });
  for (const redisPerHop of [false, true]) {
    const bare = await runBare(infra, {
      messages: bareMessages,
      mix: options.mix,
      redisPerHop,
      tag: `${run}-bare${redisPerHop ? "r" : ""}`,
    });
    log(`${bare.scenario}: ${bare.msgsPerSec} msg/s`);
    result.bare.push(bare);
  }
  for (const [i, scenario] of hub.entries()) {
    let figures: Awaited<ReturnType<typeof runHub>>;
    try {
      figures = await runHub(infra, scenario, `${run}h${i}`);
    } catch (error) {
      // Keep the figures of the other scenarios; the run still fails.
      failures.push(`${scenario.name}: ${error instanceof Error ? error.message : String(error)}`);
      log(`${scenario.name}: FAILED ${failures.at(-1)}`);
      continue;
    }
    log(
      `${scenario.name}: ${figures.msgsPerSec} msg/s delivered, p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms, ` +
        `hub ${Object.entries(figures.processes)
          .filter(([name]) => !name.startsWith("driver") && !name.endsWith("-server"))
          .map(([name, p]) => `${name} ${p.cpuMicrosPerMsg} µs`)
          .join(", ")}`,
    );
    result.hub.push(figures);
  }
  if (options.profile) result.profile = summariseProfile(profilePath);
} finally {
  await infra.stop();
}
result.loadAverage.after = loadavg();
const name = `${options.quick ? "e2e-quick" : "e2e"}${options.copies > 1 ? `-x${options.copies}` : ""}`;
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(RESULTS, `${name}.md`), renderMarkdown(result));
log(`results: bench/results/${name}.md`);
if (failures.length > 0) console.error(`FAILED:\n${failures.join("\n")}`);
process.exit(failures.length > 0 ? 1 : 0);

/**
 * pnpm bench:replay [--count N] [--ceiling-count M] [--seed S] — records N simulated messages from a hub and
 * replays them as fast as possible into a fresh one (issue 14's done-when), with the hub's end-to-end ceiling
 * measured in the same run on the same private servers, so the throughput is read as a ratio.
 *
 * 1. Ceiling: the e2e bench's hub scenario (`runHub`: the hub in its own process, webhook delivery, the mixed
 *    traffic) carries M messages (default min(N, 2,000): a rate, it needs no more).
 * 2. Original run: the simulator's demo region (20 practices, 3 municipalities, 2 hospitals, a lab, a databank;
 *    500 patients) plans N messages spread over one day (seed S), and its endpoints send them through the
 *    gateway of an in-process test hub (@carehub/testkit-hub; every endpoint a webhook receiver answering 200), in
 *    plan order per sender, until the hub is quiet. The acknowledgement timeout is a day, so no outcome depends on
 *    how long the run takes.
 * 3. `carehub record` (writeRecording) captures it from INGRESS with each message's final outcome.
 * 4. Replay: the recording into a fresh test hub (`sendRecording`: the file read as it is replayed), timed from
 *    the first publish until the hub is quiet; then each replayed message's outcome is compared with the recorded
 *    one. Any difference, or a message the original hub did not take, exits 1.
 *
 * Results go to bench/results/replay.{json,md} (the last run overwrites them).
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openRecordingFile, outcomeOf, sameOutcome, writeRecording } from "@carehub/hub";
import type { MessageLifecycle } from "@carehub/schemas";
import { buildScenarioRegistry, createPlanner, demoScenario } from "@carehub/simulator";
import { registryHubOptions, startTestHub, type TestHub, type TestHubOptions } from "@carehub/testkit-hub";
import { runHub } from "./hub.ts";
import { startInfra } from "./infra.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "200" },
    "ceiling-count": { type: "string" },
    seed: { type: "string", default: "14" },
  },
});
const count = wholeNumber(values.count, "--count");
const ceilingCount = wholeNumber(values["ceiling-count"] ?? String(Math.min(count, 2_000)), "--ceiling-count");
const seed = values.seed;
const DAY_MS = 86_400_000;
/** Sends through the gateway at once in the original run (one per sender at a time). */
const IN_FLIGHT = 64;

function wholeNumber(text: string, name: string): number {
  const n = Number.parseInt(text, 10);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const log = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);

const loadBefore = load();
const run = `r${Date.now().toString(36)}`;
const infra = await startInfra();
const dir = await mkdtemp(join(tmpdir(), "carehub-bench-replay-"));
let failed = false;
try {
  log(`ceiling: ${ceilingCount} messages through the hub (webhook, mixed)`);
  const ceiling = await runHub(
    infra,
    { name: "ceiling", delivery: "webhook", messages: ceilingCount, mix: "mixed" },
    run,
  );
  log(`ceiling: ${ceiling.msgsPerSec} msg/s`);

  const scenario = demoScenario({ ackTimeoutSeconds: DAY_MS / 1000 });
  const region = buildScenarioRegistry(scenario, { seed });
  const hubOptions: TestHubOptions = {
    ...registryHubOptions(region.registry),
    servers: { natsUrl: infra.natsUrl, redisUrl: infra.redisUrl },
  };

  const original = await startTestHub(hubOptions);
  const file = join(dir, "day.jsonl");
  let originalMs: number;
  let recordMs: number;
  try {
    log(`original run: ${count} simulated messages through the gateway`);
    const began = performance.now();
    const refused = await sendPlanned(original, region.world, scenario);
    await original.waitUntilQuiet(3_600_000);
    originalMs = performance.now() - began;
    log(`original run: ${seconds(originalMs)} s, ${refused} refused by the gateway`);
    if (refused > 0) failed = true;

    const recordBegan = performance.now();
    const output = createWriteStream(file);
    const progress = await writeRecording(
      { bus: original.hub.bus, ledger: original.ledger, lookup: original.message },
      {},
      { output, stderr: process.stderr },
    );
    await new Promise<void>((resolve, reject) => output.end((e?: Error | null) => (e ? reject(e) : resolve())));
    recordMs = performance.now() - recordBegan;
    log(`recorded ${progress.recorded} message(s) in ${seconds(recordMs)} s`);
  } finally {
    await original.close();
  }

  const recording = await openRecordingFile(file);
  const fileBytes = (await stat(file)).size;
  const fresh = await startTestHub(hubOptions);
  try {
    log(`replay: ${recording.count} message(s) into a fresh hub`);
    const heapBefore = process.memoryUsage().heapUsed;
    const began = performance.now();
    const hubIds = await fresh.sendRecording(file);
    const publishMs = performance.now() - began;
    await fresh.waitUntilQuiet(3_600_000);
    const replayMs = performance.now() - began;
    log(`replay: stored in ${seconds(publishMs)} s, quiet after ${seconds(replayMs)} s`);

    const compared = await compare(fresh, recording, hubIds);
    const replayRate = (recording.count / replayMs) * 1000;
    const ratio = replayRate / ceiling.msgsPerSec;
    const loadAfter = load();
    const result = {
      at: new Date().toISOString(),
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
      seed,
      planned: count,
      recorded: recording.count,
      recordingBytes: fileBytes,
      ceiling: { messages: ceilingCount, msgsPerSec: ceiling.msgsPerSec },
      original: { ms: Math.round(originalMs), msgsPerSec: Math.round((recording.count / originalMs) * 1000) },
      recordMs: Math.round(recordMs),
      replay: {
        storedMs: Math.round(publishMs),
        quietMs: Math.round(replayMs),
        msgsPerSec: Math.round(replayRate),
        heapGrowthBytes: process.memoryUsage().heapUsed - heapBefore,
      },
      replayOverCeiling: Number(ratio.toFixed(2)),
      replayOverOriginal: Number((replayMs === 0 ? 0 : originalMs / replayMs).toFixed(2)),
      statuses: compared.statuses,
      differences: compared.differences,
    };
    console.log(JSON.stringify(result, null, 2));
    if (compared.differences > 0) {
      failed = true;
      console.error(`bench:replay: ${compared.differences} message(s) ended differently from the recording`);
    }
    if (!failed) await writeResults(result);
  } finally {
    await fresh.close();
  }
} catch (error) {
  failed = true;
  console.error("bench:replay: FAILED", error);
} finally {
  await infra.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

/**
 * The planned messages through the gateway, each sender's in plan order, IN_FLIGHT at once; the number the gateway
 * did not answer 202.
 */
async function sendPlanned(
  hub: TestHub,
  world: ReturnType<typeof buildScenarioRegistry>["world"],
  scenario: ReturnType<typeof demoScenario>,
): Promise<number> {
  const planner = createPlanner({
    seed,
    rate: count / (DAY_MS / 1000),
    scenario,
    world,
    startTime: Date.UTC(2026, 0, 5),
  });
  const lastOf = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let refused = 0;
  for (let i = 0; i < count; i++) {
    const m = planner.next();
    const send: Promise<void> = (lastOf.get(m.from) ?? Promise.resolve()).then(async () => {
      const answer = await hub.send(m.from, m.body, m.contentType);
      if (answer.status !== 202) refused++;
    });
    lastOf.set(m.from, send);
    const tracked = send.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return refused;
}

/** Each replayed message's outcome against the recorded one (read from the file again); counts per status. */
async function compare(
  hub: TestHub,
  recording: Awaited<ReturnType<typeof openRecordingFile>>,
  hubIds: string[],
): Promise<{ statuses: Record<string, { original: number; replay: number }>; differences: number }> {
  const statuses: Record<string, { original: number; replay: number }> = {};
  const tally = (status: string, side: "original" | "replay") => {
    statuses[status] ??= { original: 0, replay: 0 };
    statuses[status][side]++;
  };
  let differences = 0;
  let index = 0;
  let batch: Array<Promise<void>> = [];
  const settle = async () => {
    // Every lookup settled before any failure is thrown (none left unhandled).
    const failed = (await Promise.allSettled(batch)).find((r) => r.status === "rejected");
    batch = [];
    if (failed !== undefined) throw failed.reason;
  };
  for await (const message of recording.messages()) {
    const hubId = hubIds[index++] ?? "";
    batch.push(
      lookup(hub, hubId).then((record) => {
        const actual = outcomeOf(record);
        tally(message.outcome?.status ?? "unknown", "original");
        tally(actual?.status ?? "unknown", "replay");
        if (message.outcome === undefined ? actual !== undefined : !sameOutcome(message.outcome, actual)) differences++;
      }),
    );
    // A few at a time: the gateway sheds a burst of queries (503) on a loaded machine.
    if (batch.length >= 16) await settle();
  }
  await settle();
  return { statuses, differences };
}

/** The hub's record of a message through the query API, asking again (up to a minute) while it answers 503. */
async function lookup(hub: TestHub, hubId: string): Promise<MessageLifecycle | undefined> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await hub.message(hubId);
    } catch (error) {
      if (Date.now() > deadline || !String(error).includes("answered 503")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function writeResults(result: {
  at: string;
  node: string;
  loadAverageBefore: string;
  loadAverageAfter: string;
  seed: string;
  planned: number;
  recorded: number;
  recordingBytes: number;
  ceiling: { messages: number; msgsPerSec: number };
  original: { ms: number; msgsPerSec: number };
  recordMs: number;
  replay: { storedMs: number; quietMs: number; msgsPerSec: number; heapGrowthBytes: number };
  replayOverCeiling: number;
  replayOverOriginal: number;
  statuses: Record<string, { original: number; replay: number }>;
  differences: number;
}): Promise<void> {
  const results = new URL("../results/", import.meta.url);
  await writeFile(new URL("replay.json", results), `${JSON.stringify(result, null, 2)}\n`);
  const statusRows = Object.entries(result.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `| ${status} | ${n.original} | ${n.replay} |`);
  const md = [
    "# Replay benchmark",
    "",
    `\`pnpm bench:replay --count ${result.planned} --seed ${result.seed}\` — ${result.at}, Node ${result.node}, 2 cores shared with other work.`,
    `Load average before / after: ${result.loadAverageBefore} / ${result.loadAverageAfter} (compare ratios within this run, not absolute figures across runs).`,
    "",
    "| step | messages | time | msg/s |",
    "| --- | ---: | ---: | ---: |",
    `| ceiling: hub e2e (own process, webhook, mixed) | ${result.ceiling.messages} | | ${result.ceiling.msgsPerSec} |`,
    `| original run: simulator through the gateway until quiet | ${result.recorded} | ${seconds(result.original.ms)} s | ${result.original.msgsPerSec} |`,
    `| carehub record (INGRESS + outcome lookups) | ${result.recorded} | ${seconds(result.recordMs)} s | |`,
    `| replay: stored on INGRESS | ${result.recorded} | ${seconds(result.replay.storedMs)} s | |`,
    `| replay: until the fresh hub is quiet | ${result.recorded} | ${seconds(result.replay.quietMs)} s | ${result.replay.msgsPerSec} |`,
    "",
    `**Replay / ceiling: ${result.replayOverCeiling}** (same run). Replay / original run: ${result.replayOverOriginal} (the same kind of hub: in-process, the bench's own receivers beside it; the ceiling's hub has a process of its own). Recording: ${(result.recordingBytes / 1e6).toFixed(1)} MB; heap growth of the bench process over the replay ${(result.replay.heapGrowthBytes / 1e6).toFixed(1)} MB.`,
    "",
    `Final statuses (${result.differences} message(s) differ from the recorded outcome):`,
    "",
    "| status | original | replay |",
    "| --- | ---: | ---: |",
    ...statusRows,
    "",
  ];
  await writeFile(new URL("replay.md", results), md.join("\n"));
}

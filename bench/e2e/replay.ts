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
 * `--feed nats`: the original run's senders publish to their own INGRESS subjects over NATS, as an integrating
 * system with NATS credentials does (bench/e2e/feed.ts), up to 32 of a sender's publishes awaiting their
 * acknowledgement at once, in plan order on its one connection, and a position counts as sent for the order window
 * once intake has taken it (its ack floor on INGRESS, read every 50 ms), so no send runs more than ORDER_WINDOW
 * positions ahead of what the hub has read; over HTTP (the default) each sender waits for each
 * answer, so one busy sender's round trips set the run's pace (a 3,000-message run: 3 sends in flight, 24 of 27
 * senders held by the order window behind it).
 *
 * Results go to bench/results/<out>.{json,md} (`--out`, default `replay`; the last run overwrites them).
 * `--keep-recording PATH` keeps the recording; `--recording PATH` replays one kept before instead of making it (steps
 * 2 and 3 skipped: a million-message recording is made once). Progress goes to stdout every 30 s (BENCH_PROGRESS_MS) on a long run;
 * the original run's line also says what its sending is doing (in flight, held by the order window, round trips, queues).
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { INGRESS_CONSUMER } from "@carehub/bus";
import { openRecordingFile, outcomeOf, sameOutcome, writeRecording } from "@carehub/hub";
import type { MessageLifecycle } from "@carehub/schemas";
import { buildScenarioRegistry, createPlanner, demoScenario } from "@carehub/simulator";
import { childProcesses } from "@carehub/testkit";
import { registryHubOptions, startTestHub, type TestHub, type TestHubOptions } from "@carehub/testkit-hub";
import { type IngressFeed, natsIngressFeed } from "./feed.ts";
import { runHub } from "./hub.ts";
import { consumerProgress, sampleProcess, startInfra } from "./infra.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "200" },
    "ceiling-count": { type: "string" },
    seed: { type: "string", default: "14" },
    out: { type: "string", default: "replay" },
    recording: { type: "string" },
    "keep-recording": { type: "string" },
    feed: { type: "string", default: "http" },
  },
});
const count = wholeNumber(values.count, "--count");
const ceilingCount = wholeNumber(values["ceiling-count"] ?? String(Math.min(count, 2_000)), "--ceiling-count");
const seed = values.seed;
const out = values.out;
const feed = values.feed;
if (feed !== "http" && feed !== "nats") throw new Error("--feed must be http or nats");
if (!/^[\w.-]+$/.test(out)) throw new Error("--out must be a file name without a directory");
const PROGRESS_EVERY_MS = Number(process.env.BENCH_PROGRESS_MS ?? 30_000);
/** How long a run may take to go quiet after its last send (a million messages take hours on this machine). */
const QUIET_WITHIN_MS = 24 * 3_600_000;
const DAY_MS = 86_400_000;
/** Planned messages read ahead of the original run's sends (so every sender has its next at hand). */
const READ_AHEAD = 4_096;
/**
 * How far the original run's sends may run ahead of the oldest planned message not yet taken: plan position p is
 * not sent until every position below p - ORDER_WINDOW has been. The simulator plans a follow-up (a reply, a
 * receipt) 2–40 positions after the message it answers, from another sender; without a bound a busy sender's
 * queue could leave the message answered thousands of positions behind, and the reply would go out before it.
 */
const ORDER_WINDOW = 256;
/** With `--feed nats`, how many of one sender's publishes may await their acknowledgement at once. */
const SENDER_WINDOW = 32;
/** With `--feed nats`, how often intake's progress is read (its ack floor on INGRESS moves the order window). */
const INTAKE_POLL_MS = 50;
/** Reads of intake's progress that may fail in a row (about 10 s) before the original run fails. */
const INTAKE_POLL_FAILURES = 200;

/**
 * What the original run's sending is doing, for its progress line: sends in flight, senders held back by the order
 * window, the mean send round trip since the last line and the longest queues — whether the hub or the sending sets
 * the pace (docs/performance.md, "A 1,000,000-message replay": not established before).
 */
const sending = {
  inFlight: 0,
  heldByWindow: 0,
  sends: 0,
  sendMs: 0,
  queues: new Map<string, { length: number }>(),
  line(): string {
    const mean = this.sends === 0 ? "-" : (this.sendMs / this.sends).toFixed(1);
    const longest = [...this.queues]
      .filter(([, queue]) => queue.length > 0)
      .sort(([, a], [, b]) => b.length - a.length)
      .slice(0, 3)
      .map(([sender, queue]) => `${sender} ${queue.length}`);
    const line = `sending: ${this.inFlight} in flight, ${this.heldByWindow} held by the order window, ${this.sends} sent since the last line (mean round trip ${mean} ms); longest queues: ${longest.join(", ") || "none"}`;
    this.sends = 0;
    this.sendMs = 0;
    return line;
  },
};

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
    // The receivers count what they answer: kept, every delivered body stayed in this process (~8 KB a message).
    keepDeliveries: false,
  };

  const file = values.recording ?? values["keep-recording"] ?? join(dir, "day.jsonl");
  let originalMs: number | undefined;
  let recordMs: number | undefined;
  if (values.recording === undefined) {
    const original = await startTestHub(hubOptions);
    try {
      log(`original run: ${count} simulated messages ${feed === "nats" ? "over NATS ingress" : "through the gateway"}`);
      const began = performance.now();
      const nats =
        feed === "nats"
          ? await natsIngressFeed(
              infra.natsUrl,
              original.namespace,
              hubOptions.endpoints.map((endpoint) => endpoint.id),
            )
          : undefined;
      const refused = await whileReporting(original, "original run", () =>
        sendPlanned(original, region.world, scenario, nats)
          .then(async (n) => {
            await original.waitUntilQuiet(QUIET_WITHIN_MS);
            return n;
          })
          .finally(() => nats?.close()),
      );
      originalMs = performance.now() - began;
      log(`original run: ${seconds(originalMs)} s${nats === undefined ? `, ${refused} refused by the gateway` : ""}`);
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
  }

  const recording = await openRecordingFile(file);
  const fileBytes = (await stat(file)).size;
  const fresh = await startTestHub(hubOptions);
  try {
    log(`replay: ${recording.count} message(s) into a fresh hub`);
    const heapBefore = process.memoryUsage().heapUsed;
    const began = performance.now();
    let publishMs = 0;
    const hubIds = await whileReporting(fresh, "replay", async () => {
      const ids = await fresh.sendRecording(file);
      publishMs = performance.now() - began;
      log(`replay: stored in ${seconds(publishMs)} s`);
      await fresh.waitUntilQuiet(QUIET_WITHIN_MS);
      return ids;
    });
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
      original:
        originalMs === undefined
          ? undefined
          : { ms: Math.round(originalMs), msgsPerSec: Math.round((recording.count / originalMs) * 1000) },
      recordMs: recordMs === undefined ? undefined : Math.round(recordMs),
      recordingKept: values.recording ?? values["keep-recording"],
      replay: {
        storedMs: Math.round(publishMs),
        quietMs: Math.round(replayMs),
        msgsPerSec: Math.round(replayRate),
        heapGrowthBytes: process.memoryUsage().heapUsed - heapBefore,
      },
      peakRssBytes: peakRss(),
      replayOverCeiling: Number(ratio.toFixed(2)),
      replayOverOriginal:
        originalMs === undefined ? undefined : Number((replayMs === 0 ? 0 : originalMs / replayMs).toFixed(2)),
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
 * Runs `work` with a line every PROGRESS_EVERY_MS: how far the hub's consumers are (a long run shows where it stands
 * however it ends).
 */
async function whileReporting<T>(hub: TestHub, stage: string, work: () => Promise<T>): Promise<T> {
  const began = performance.now();
  const timer = setInterval(() => {
    const streams = new Set<string>(Object.values(hub.hub.bus.topology.streams));
    consumerProgress(hub.hub.bus.jsm).then(
      (where) => {
        // This hub's streams only (the ceiling's are on the same server).
        const ours = where.split("; ").filter((part) => streams.has(part.split(" ")[0] ?? ""));
        log(`${stage}: ${seconds(performance.now() - began)} s; ${ours.join("; ")}`);
        if (stage === "original run") log(`${stage}: ${sending.line()}`);
      },
      () => {},
    );
  }, PROGRESS_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Peak RSS (VmHWM) of every process the replay ran in: this one (the test hubs and their receivers, the replaying
 * and comparing) and the private nats-server and redis-server. The ceiling's hub process has ended by now.
 */
function peakRss(): Record<string, number> {
  const peaks: Record<string, number> = { bench: process.resourceUsage().maxRSS * 1024 };
  for (const child of childProcesses(process.pid)) {
    try {
      peaks[child.comm] = sampleProcess(child.pid).peakRssBytes;
    } catch {
      // Ended between the listing and the read.
    }
  }
  return peaks;
}

/**
 * The planned messages through the gateway, each sender's in plan order (one send at a time per sender), every
 * sender with something to send sending at once, no send more than ORDER_WINDOW positions ahead of the oldest not
 * yet sent; the plan is read at most READ_AHEAD messages ahead of the sends. A window of sends chained per sender (64 before) filled up with one busy sender's queue and left the others idle.
 * Returns the number the gateway did not answer 202.
 */
async function sendPlanned(
  hub: TestHub,
  world: ReturnType<typeof buildScenarioRegistry>["world"],
  scenario: ReturnType<typeof demoScenario>,
  nats?: IngressFeed,
): Promise<number> {
  const planner = createPlanner({
    seed,
    rate: count / (DAY_MS / 1000),
    scenario,
    world,
    startTime: Date.UTC(2026, 0, 5),
  });
  type Planned = { at: number; message: ReturnType<typeof planner.next> };
  const queues = new Map<string, Planned[]>();
  const senders = new Set<Promise<void>>();
  let queued = 0;
  let refused = 0;
  let sendFailure: { error: unknown } | undefined;
  let room: (() => void) | undefined;
  // The oldest plan position not yet sent, and the senders waiting for it to move (ORDER_WINDOW).
  const sent = new Uint8Array(count);
  let oldestUnsent = 0;
  let behind: Array<() => void> = [];
  /** The senders waiting for the oldest unsent position to move: each looks again. */
  const wakeBehind = () => {
    const waiting = behind;
    behind = [];
    for (const wake of waiting) wake();
  };
  // Over NATS a position counts as sent once intake has taken it (INGRESS's ack floor for intake past its sequence),
  // not once it is stored: stored, every sender's whole plan would wait on INGRESS at once (100,000 within a minute,
  // intake 6,584 in), and a reply from one sender's lane be read before the message it answers in another's.
  const storedAt = new Float64Array(nats === undefined ? 0 : count);
  const intakeTook = async () => {
    const info = await hub.hub.bus.jsm.consumers.info(hub.hub.bus.topology.streams.ingress, INGRESS_CONSUMER);
    const floor = info.ack_floor.stream_seq;
    const from = oldestUnsent;
    while (oldestUnsent < count && storedAt[oldestUnsent] !== 0 && (storedAt[oldestUnsent] as number) <= floor) {
      oldestUnsent++;
    }
    if (oldestUnsent !== from) wakeBehind();
  };
  let polling = true;
  const poller =
    nats === undefined
      ? Promise.resolve()
      : (async () => {
          // A read that keeps failing would hold every sender for good (the order window never moves): after
          // INTAKE_POLL_FAILURES in a row the run fails, with the last error.
          let failures = 0;
          while (polling && sendFailure === undefined) {
            try {
              await intakeTook();
              failures = 0;
            } catch (error) {
              if (++failures >= INTAKE_POLL_FAILURES) {
                sendFailure ??= { error };
                room?.();
                wakeBehind();
                return;
              }
            }
            await new Promise((resolve) => setTimeout(resolve, INTAKE_POLL_MS));
          }
        })();
  const markSent = (at: number) => {
    sent[at] = 1;
    if (at !== oldestUnsent) return;
    while (oldestUnsent < count && sent[oldestUnsent] === 1) oldestUnsent++;
    wakeBehind();
  };
  const bytes = (body: string | Uint8Array) => (typeof body === "string" ? Buffer.from(body) : body);
  // Senders with a drain running: a message for one of them joins its queue; for any other, a drain starts. A drain
  // leaves this set in the same synchronous step in which it finds its queue empty and nothing of it in flight.
  const draining = new Set<string>();
  const drain = async (from: string, queue: Planned[]) => {
    // Over NATS, up to SENDER_WINDOW publishes of the sender in flight: issued in plan order on its one connection,
    // stored in that order; a stored position counts as sent once intake has taken it (the poller above).
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    for (;;) {
      for (let next = queue[0]; next !== undefined; next = queue[0]) {
        if (oldestUnsent < next.at - ORDER_WINDOW) {
          sending.heldByWindow++;
          while (oldestUnsent < next.at - ORDER_WINDOW && sendFailure === undefined) {
            await new Promise<void>((resolve) => behind.push(resolve));
          }
          sending.heldByWindow--;
        }
        if (sendFailure !== undefined || failure !== undefined) break;
        const m = next.message;
        const at = next.at;
        sending.inFlight++;
        const sendBegan = performance.now();
        const settled = () => {
          sending.inFlight--;
          sending.sends++;
          sending.sendMs += performance.now() - sendBegan;
        };
        if (nats === undefined) {
          const answer = await hub.send(m.from, m.body, m.contentType).finally(settled);
          if (answer.status !== 202) refused++;
          queue.shift();
          queued--;
          markSent(at);
        } else {
          const publish: Promise<void> = nats
            .send({ id: `${run}-${at}`, from: m.from, body: bytes(m.body), contentType: m.contentType })
            .then(
              (seq) => {
                storedAt[at] = seq;
              },
              (error: unknown) => {
                failure ??= { error };
              },
            )
            .finally(() => {
              settled();
              inFlight.delete(publish);
            });
          inFlight.add(publish);
          queue.shift();
          queued--;
          while (inFlight.size >= SENDER_WINDOW) await Promise.race(inFlight);
        }
        room?.();
      }
      if (inFlight.size === 0 || failure !== undefined || sendFailure !== undefined) break;
      await Promise.all(inFlight);
    }
    if (inFlight.size > 0) await Promise.all(inFlight);
    draining.delete(from);
    if (failure !== undefined) throw failure.error;
  };
  for (let i = 0; i < count && sendFailure === undefined; i++) {
    const m = planner.next();
    let queue = queues.get(m.from);
    if (queue === undefined) {
      queue = [];
      queues.set(m.from, queue);
      sending.queues.set(m.from, queue);
    }
    queue.push({ at: i, message: m });
    queued++;
    if (!draining.has(m.from)) {
      draining.add(m.from);
      const sender: Promise<void> = drain(m.from, queue).then(
        () => void senders.delete(sender),
        (error: unknown) => {
          sendFailure ??= { error };
          senders.delete(sender);
          room?.();
          wakeBehind();
        },
      );
      senders.add(sender);
    }
    while (queued >= READ_AHEAD && sendFailure === undefined) {
      await new Promise<void>((resolve) => {
        room = resolve;
      });
    }
  }
  await Promise.all(senders);
  polling = false;
  await poller;
  if (sendFailure !== undefined) throw sendFailure.error;
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

/** The command line that made these results, as far as it changes them. */
function commandLine(result: { planned: number; seed: string; ceiling: { messages: number } }): string {
  return [
    `pnpm bench:replay --count ${result.planned} --seed ${result.seed}`,
    values["ceiling-count"] === undefined ? "" : ` --ceiling-count ${result.ceiling.messages}`,
    out === "replay" ? "" : ` --out ${out}`,
    feed === "http" ? "" : ` --feed ${feed}`,
    values.recording === undefined ? "" : ` --recording ${values.recording}`,
    values["keep-recording"] === undefined ? "" : ` --keep-recording ${values["keep-recording"]}`,
  ].join("");
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
  original: { ms: number; msgsPerSec: number } | undefined;
  recordMs: number | undefined;
  recordingKept: string | undefined;
  replay: { storedMs: number; quietMs: number; msgsPerSec: number; heapGrowthBytes: number };
  peakRssBytes: Record<string, number>;
  replayOverCeiling: number;
  replayOverOriginal: number | undefined;
  statuses: Record<string, { original: number; replay: number }>;
  differences: number;
}): Promise<void> {
  const results = new URL("../results/", import.meta.url);
  await writeFile(new URL(`${out}.json`, results), `${JSON.stringify(result, null, 2)}\n`);
  const statusRows = Object.entries(result.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `| ${status} | ${n.original} | ${n.replay} |`);
  const md = [
    "# Replay benchmark",
    "",
    `\`${commandLine(result)}\` — ${result.at}, Node ${result.node}, 2 cores shared with other work.`,
    ...(values.recording === undefined
      ? []
      : [
          `Replayed a kept recording: "planned" (${result.planned})${values["ceiling-count"] === undefined ? " and the ceiling's message count (at most 2,000) come" : " comes"} from \`--count\`, not from the recording (${result.recorded} messages).`,
        ]),
    `Load average before / after: ${result.loadAverageBefore} / ${result.loadAverageAfter} (compare ratios within this run, not absolute figures across runs).`,
    "",
    "| step | messages | time | msg/s |",
    "| --- | ---: | ---: | ---: |",
    `| ceiling: hub e2e (own process, webhook, mixed) | ${result.ceiling.messages} | | ${result.ceiling.msgsPerSec} |`,
    result.original === undefined
      ? `| original run and recording: kept from an earlier run (${result.recordingKept}) | ${result.recorded} | | |`
      : `| original run: simulator ${feed === "nats" ? "over NATS ingress" : "through the gateway"} until quiet | ${result.recorded} | ${seconds(result.original.ms)} s | ${result.original.msgsPerSec} |`,
    ...(result.recordMs === undefined
      ? []
      : [`| carehub record (INGRESS + outcome lookups) | ${result.recorded} | ${seconds(result.recordMs)} s | |`]),
    `| replay: stored on INGRESS | ${result.recorded} | ${seconds(result.replay.storedMs)} s | |`,
    `| replay: until the fresh hub is quiet | ${result.recorded} | ${seconds(result.replay.quietMs)} s | ${result.replay.msgsPerSec} |`,
    "",
    `**Replay / ceiling: ${result.replayOverCeiling}** (same run). Replay / original run: ${result.replayOverOriginal ?? "not run"} (the same kind of hub: in-process, the bench's own receivers beside it; the ceiling's hub has a process of its own). Recording: ${(result.recordingBytes / 1e6).toFixed(1)} MB; heap growth of the bench process over the replay ${(result.replay.heapGrowthBytes / 1e6).toFixed(1)} MB; peak RSS ${Object.entries(
      result.peakRssBytes,
    )
      .map(([name, bytes]) => `${name} ${(bytes / 1e6).toFixed(0)} MB`)
      .join(", ")}.`,
    "",
    `Final statuses (${result.differences} message(s) differ from the recorded outcome):`,
    "",
    "| status | original | replay |",
    "| --- | ---: | ---: |",
    ...statusRows,
    "",
  ];
  await writeFile(new URL(`${out}.md`, results), md.join("\n"));
}

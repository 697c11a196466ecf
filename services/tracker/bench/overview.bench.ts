/**
 * The care overview of one patient with 200 items (two KOL package courses: package referral, tasks, appointments)
 * in a read model holding 1,000,000 stored messages and 20,000 other patients' referrals. A private redis-server is
 * filled through the store's own write paths: the messages with `importMessages` (pipelined, as bench:tracker),
 * every referral, task and appointment with the tracker's own fold (`foldEnvelope`: entity records and the care
 * overview's indexes). Times `patientOverview` as the referring practice and as the municipality, and `getCourse`,
 * p50 / p99. Target: the practice's overview under 50 ms. Not a test: nothing here asserts.
 * Results: bench/results/overview.{json,md}.
 * Usage: pnpm bench:overview   (env: BENCH_MESSAGES=1000000, BENCH_OTHER_PATIENTS=20000, BENCH_SAMPLES=500)
 */
import { loadavg } from "node:os";
import { setFlagsFromString } from "node:v8";
import type { Envelope } from "@carehub/schemas";
import { type CareViewer, createStore, type ReadModelStore } from "@carehub/store";
import { foldEnvelope } from "../src/envelope-handler.ts";
import {
  envelopeOf,
  GP,
  HOSPITAL,
  HUB,
  MUNICIPALITY,
  statusUpdate,
  trackerRegistry,
} from "../src/tracker-fixtures.test-support.ts";
import {
  type BenchEnvironment,
  benchEnvironment,
  benchSamples,
  fillSynthetic,
  HASH_KEY,
  percentiles,
  rng,
  type Stats,
  usedMemory,
  withBenchRedis,
  writeBenchResults,
} from "./synthetic-read-model.ts";

setFlagsFromString("--max-semi-space-size=64");

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const OTHER_PATIENTS = Number(process.env.BENCH_OTHER_PATIENTS ?? 20_000);
const SAMPLES = benchSamples(500);
const PATIENT = { system: "cpr" as const, value: "2509479989" };
const H = 3_600_000;
const T0 = Date.now() - 60 * 24 * H;
const registry = trackerRegistry();

const TASKS_PER_COURSE = 33;
const APPOINTMENTS_PER_TASK = 2;

/**
 * One KOL course of 100 items: the package referral (received), 33 rehabilitation tasks the hospital asks the
 * municipality for (each planned), and 66 appointments (2 per task; booked, then not attended or completed).
 */
function courseEnvelopes(course: number): Envelope[] {
  const ref = `KOL-${course}`;
  const out: Envelope[] = [];
  let t = T0 + course * 100 * H;
  const next = () => (t += 60_000);
  const id = (what: string) => `c${course}-${what}`;
  out.push(
    envelopeOf(id("ref"), GP, HOSPITAL, { kind: "referral", referralId: ref, category: "package-kol" }, next(), {
      patient: PATIENT,
    }),
  );
  out.push(statusUpdate(id("rec"), HOSPITAL, GP, { type: "referral", id: ref }, "received", next()));
  for (let k = 0; k < TASKS_PER_COURSE; k++) {
    const task = `${ref}-T${k}`;
    out.push(
      envelopeOf(
        id(`t${k}`),
        HOSPITAL,
        MUNICIPALITY,
        { kind: "task-requisition", taskId: task, code: "kol-rehabilitering", packageReferralId: ref },
        next(),
        { patient: PATIENT },
      ),
    );
    out.push(statusUpdate(id(`t${k}-p`), MUNICIPALITY, HOSPITAL, { type: "task", id: task }, "planned", next()));
    for (let a = 0; a < APPOINTMENTS_PER_TASK; a++) {
      const appointment = { type: "appointment" as const, id: `${task}-A${a}` };
      const basedOn = { basedOn: { type: "task" as const, id: task } };
      const start = new Date(t + 14 * 24 * H).toISOString();
      out.push(
        statusUpdate(id(`t${k}-a${a}-b`), MUNICIPALITY, HOSPITAL, appointment, "booked", next(), {
          ...basedOn,
          appointment: { start },
        }),
      );
      const outcome = a === 0 ? "no-show" : "completed";
      out.push(statusUpdate(id(`t${k}-a${a}-o`), MUNICIPALITY, HOSPITAL, appointment, outcome, next(), basedOn));
    }
  }
  return out.map((e) => ({ ...e, patient: PATIENT }));
}

async function foldAll(store: ReadModelStore, envelopes: readonly Envelope[], concurrency = 1): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < envelopes.length) {
      const envelope = envelopes[next++] as Envelope;
      await foldEnvelope({ store, hubEndpointId: HUB.id, resolver: registry }, envelope);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

await withBenchRedis(async (redis, version) => {
  const store = createStore({ redis, namespace: "bench-overview", retentionDays: 365, patientHashKey: HASH_KEY });
  const started = performance.now();
  const before = await usedMemory(redis);
  await fillSynthetic(store, MESSAGES, { random: rng(7), patients: 200_000 });
  const messagesSeconds = (performance.now() - started) / 1000;
  process.stderr.write(`filled ${MESSAGES.toLocaleString("en")} messages in ${messagesSeconds.toFixed(1)} s\n`);
  // Other patients: one referral each, folded like live traffic (entity record + care-overview indexes).
  const others: Envelope[] = [];
  for (let i = 0; i < OTHER_PATIENTS; i++) {
    others.push(
      envelopeOf(`o-${i}`, GP, HOSPITAL, { kind: "referral", referralId: `R-${i}`, category: "hospital" }, T0 + i, {
        patient: { system: "cpr", value: String(1_000_000_000 + i) },
      }),
    );
  }
  await foldAll(store, others, 16);
  const patientEnvelopes = [...courseEnvelopes(0), ...courseEnvelopes(1)];
  await foldAll(store, patientEnvelopes);
  const fillSeconds = (performance.now() - started) / 1000;
  const practice: CareViewer = { kind: "endpoint", id: GP.id };
  const municipality: CareViewer = { kind: "endpoint", id: MUNICIPALITY.id };
  const overview = await store.patientOverview(PATIENT.value, practice);
  const items = overview?.courses.reduce((n, c) => n + c.items.length, 0) ?? 0;
  const answerBytes = JSON.stringify(overview).length;
  process.stderr.write(`the patient has ${items} items (${answerBytes} bytes of JSON); timing…\n`);

  const queries: Record<string, () => Promise<unknown>> = {
    "patientOverview as the referring practice (200 items)": () => store.patientOverview(PATIENT.value, practice),
    "patientOverview as the municipality (its items)": () => store.patientOverview(PATIENT.value, municipality),
    "getCourse (100 items)": () => store.getCourse(`${GP.id}:KOL-0`, practice),
    "patientOverview of another patient (1 item)": () => store.patientOverview("1000000042", practice),
  };
  const latencyMs: Record<string, Stats> = {};
  // This process's CPU time per call (user + system): what the query costs the gateway whatever the machine's
  // load, next to the wall-clock latency that includes waiting for a core and for Redis.
  const cpuMs: Record<string, Stats> = {};
  const loadWhileTiming = loadavg()[0] ?? 0;
  for (const [name, query] of Object.entries(queries)) {
    for (let i = 0; i < 30; i++) await query();
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const c = process.cpuUsage();
      const t = performance.now();
      await query();
      times.push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1_000);
    }
    latencyMs[name] = percentiles(times);
    cpuMs[name] = percentiles(cpu);
  }
  const environment = benchEnvironment(version, SAMPLES);
  const result = {
    messages: MESSAGES,
    otherPatients: OTHER_PATIENTS,
    patientItems: items,
    patientEnvelopes: patientEnvelopes.length,
    answerBytes,
    fillSeconds: Math.round(fillSeconds * 10) / 10,
    redisBytes: (await usedMemory(redis)) - before,
    loadWhileTiming: Math.round(loadWhileTiming * 10) / 10,
    latencyMs,
    cpuMs,
  };
  process.stderr.write(`${JSON.stringify(result)}\n`);
  writeBenchResults("overview", { environment, result }, markdown(environment, result));
});

function markdown(
  env: BenchEnvironment,
  r: {
    messages: number;
    otherPatients: number;
    patientItems: number;
    answerBytes: number;
    fillSeconds: number;
    redisBytes: number;
    loadWhileTiming: number;
    latencyMs: Record<string, Stats>;
    cpuMs: Record<string, Stats>;
  },
): string {
  return [
    "# Care overview benchmark",
    "",
    `\`pnpm bench:overview\` — private redis-server ${env.redis}, Node ${env.node}, ${env.date}, ${env.cpus} cores shared with other work (load average at the end ${env.loadAverage.join(" / ")}).`,
    `${r.messages.toLocaleString("en")} stored messages (bench:tracker's synthetic lifecycles, imported pipelined) and ${r.otherPatients.toLocaleString("en")} other patients' referrals; one patient with ${r.patientItems} items in two KOL package courses (each: package referral, ${TASKS_PER_COURSE} rehabilitation tasks, ${TASKS_PER_COURSE * APPOINTMENTS_PER_TASK} appointments), every item folded by the tracker's own fold. Fill ${r.fillSeconds} s, Redis ${Math.round(r.redisBytes / 1_048_576)} MiB. ${env.samples} timed calls per row after a warm-up, one at a time from one client. The practice's answer is ${r.answerBytes.toLocaleString("en")} bytes of JSON (not serialised in the timing).`,
    "",
    `Load average when the timing began: ${r.loadWhileTiming}.`,
    "",
    "| query | latency p50 (ms) | latency p99 (ms) | this process's CPU p50 / p99 (ms) |",
    "| --- | ---: | ---: | ---: |",
    ...Object.entries(r.latencyMs).map(
      ([name, s]) => `| ${name} | ${s.p50} | ${s.p99} | ${r.cpuMs[name]?.p50} / ${r.cpuMs[name]?.p99} |`,
    ),
    "",
    "Target: the 200-item overview under 50 ms. Its cost is O(items of the patient): four Redis round trips (the",
    "patient's index, the courses' records and item sets pipelined, one MGET of the referrals and tasks, one MGET of",
    "their appointments) and a fold of each item's facts; the number of messages stored does not enter.",
    "",
  ].join("\n");
}

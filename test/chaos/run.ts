/**
 * pnpm test:chaos [--bounded] [--seed N] [--only steady,worker-kills] [--write-docs]
 *
 * The hub, one process per service, on a private nats-server and redis-server (or, for the scenarios that need
 * them, a 3-node NATS cluster or Redis behind sentinels: one hub per infrastructure), under sustained load through
 * its gateway while each scenario of scenarios.ts does its harm; after each, verify.ts checks the receivers'
 * records and the read model. Prints the table; a full run (every scenario, not bounded) or --write-docs writes
 * it into docs/reliability.md — a run of some scenarios (--only) does not replace the whole table with them. --bounded: the short form CI runs (scripts/test), within about three minutes on 2 cores.
 * Exit 1 when any scenario lost, doubled or left a message unfinished, or failed one of its own checks.
 */
import { randomInt } from "node:crypto";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ChaosHub } from "./chaos-hub.ts";
import { describeDeadLetters, readDeadLetters } from "./dead-letters.ts";
import { Traffic } from "./load.ts";
import { renderTable, rowPassed, type ScenarioRow, writeReliabilityDoc } from "./report.ts";
import { SCENARIOS, type ScenarioContext } from "./scenarios.ts";
import { SeededRandom } from "./seeded-random.ts";
import { verify } from "./verify.ts";

const { values } = parseArgs({
  options: {
    bounded: { type: "boolean", default: false },
    seed: { type: "string" },
    only: { type: "string" },
    "write-docs": { type: "boolean", default: false },
  },
});
const bounded = values.bounded === true;
const seed = values.seed === undefined ? randomInt(2 ** 31) : Number(values.seed);
if (!Number.isInteger(seed) || seed < 0) {
  console.error(`chaos: --seed must be a whole number, got ${values.seed}`);
  process.exit(2);
}
const only = values.only?.split(",").map((name) => name.trim());
const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`chaos: no scenario ${unknown.join(", ")}; scenarios: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  process.exit(2);
}
const command = `pnpm test:chaos${bounded ? " --bounded" : ""} --seed ${seed}${only === undefined ? "" : ` --only ${only.join(",")}`}`;
const started = performance.now();
const log = (line: string) => console.log(`[chaos ${((performance.now() - started) / 1000).toFixed(0)}s] ${line}`);
log(`seed ${seed}: repeat this run with \`${command}\``);

const rows: ScenarioRow[] = [];
let exitCode = 0;
/** The hub of the scenarios run so far: one per infrastructure, started when the first scenario needing it runs. */
let hub: ChaosHub | undefined;
const shared: Omit<ScenarioContext, "hub"> = {
  traffic: new Traffic(),
  random: new SeededRandom(seed),
  bounded,
  baselineRate: 0,
  accepted: [],
  log,
};
try {
  for (const scenario of SCENARIOS) {
    if (only !== undefined && !only.includes(scenario.name)) continue;
    if (scenario.run === undefined) {
      rows.push({
        name: scenario.name,
        what: scenario.what,
        notes: [],
        checks: [],
        notRun: `not yet: ${scenario.notYetRun ?? ""}`,
      });
      continue;
    }
    if (bounded && scenario.fullRunOnly === true) {
      rows.push({ name: scenario.name, what: scenario.what, notes: [], checks: [], notRun: "full run only" });
      continue;
    }
    const infrastructure = scenario.infrastructure ?? "single";
    if (hub?.infrastructure !== infrastructure) {
      await hub?.stop();
      hub = new ChaosHub(infrastructure);
      // The verdicts are over the messages of this hub's run: a new hub starts with none.
      shared.accepted = [];
      await hub.start();
      log(`hub (${infrastructure}) running in namespace ${hub.namespace}`);
    }
    // One object for the whole run, so what a scenario leaves in it (the baseline rate) reaches the next.
    const context: ScenarioContext = Object.assign(shared, { hub });
    log(`${scenario.name}: ${scenario.what}`);
    const repeatsBefore = hub.receivers.repeats.length;
    const duplicatesBefore = await hub.possibleDuplicates();
    const scenarioStarted = performance.now();
    const deadLettersBefore = (await hub.bus.jsm.streams.info(hub.bus.topology.streams.dlq)).state.last_seq;
    const acceptedBefore = context.accepted.length;
    const row: ScenarioRow = { name: scenario.name, what: scenario.what, notes: [], checks: [] };
    try {
      const outcome = await scenario.run(context);
      row.load = outcome.load;
      row.notes = outcome.notes;
      row.checks = outcome.checks;
    } catch (error) {
      row.error = error instanceof Error ? error.message : String(error);
    }
    // Verified even after an error: what the harm did to the messages is the point.
    row.verdict = await verify(
      hub,
      context.accepted,
      context.accepted.slice(acceptedBefore),
      bounded ? 90_000 : 180_000,
    );
    row.wireRepeats = hub.receivers.repeats.length - repeatsBefore;
    row.possibleDuplicates = (await hub.possibleDuplicates()) - duplicatesBefore;
    row.seconds = Math.round((performance.now() - scenarioStarted) / 1000);
    rows.push(row);
    log(`${scenario.name}: ${rowPassed(row) ? "pass" : "FAIL"} ${JSON.stringify({ ...row, what: undefined })}`);
    if (!rowPassed(row)) {
      console.log(hub.outputs());
      // Where and why each of the scenario's messages was given up on: stage and reason code from the DLQ headers.
      console.log(describeDeadLetters(await readDeadLetters(hub.bus, deadLettersBefore + 1).catch(() => [])));
    }
  }
} catch (error) {
  console.error(`chaos: the run stopped: ${error instanceof Error ? error.stack : String(error)}`);
  if (hub !== undefined) console.log(hub.outputs());
  exitCode = 1;
} finally {
  await hub?.stop();
}

const table = renderTable(rows);
console.log(`\n${table}\n`);
const heading =
  `Run ${new Date().toISOString().slice(0, 16)} UTC: \`${command}\` — Node ${process.version}, ` +
  `${cpus().length} cores, ${Math.round((performance.now() - started) / 1000)} s.`;
if ((!bounded && only === undefined) || values["write-docs"] === true) {
  const doc = fileURLToPath(new URL("../../docs/reliability.md", import.meta.url));
  writeReliabilityDoc(doc, heading, rows);
  log(`table written to docs/reliability.md`);
}
if (!rows.every(rowPassed)) exitCode = 1;
log(`${exitCode === 0 ? "every scenario passed" : "FAILED"} (seed ${seed})`);
// The plain closing line CI reads (scripts/test runs this after the test suite): scenarios, not tests.
const scenariosPassed = rows.filter(rowPassed).length;
console.log(`chaos: ${scenariosPassed} passed, ${rows.length - scenariosPassed} failed`);
process.exit(exitCode);

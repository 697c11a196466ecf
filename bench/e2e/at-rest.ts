/**
 * What a message keeps in Redis at rest, by class of key, this checkout's hub against another checkout's, alternated
 * in one run (docs/performance.md, "Redis bytes per message at rest"; decisions 0119, 0124):
 *
 *   node bench/e2e/at-rest.ts --against=<another checkout of carehub> [--messages=150] [--acks-messages=100] [--pairs=2]
 *
 * Each side runs its own `runHub` (its bench and its hub, from its sources) on private servers: a webhook run of
 * `--messages` and one of `--acks-messages` whose receivers acknowledge; after each, MEMORY USAGE of every key of
 * the namespace, per class and per message (the run's warm-up counted). `kept` leaves out the two classes that hold
 * only what is in flight (`order`: the bus's sender-order marks above each consumer's ack floor; `timers`: the
 * tracker's acknowledgement-overdue timers, which a webhook receiver that never acknowledges leaves until overdue):
 * what 30 days of such messages keep, per message. Exact, not timed; nothing is written to either checkout.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { HubResult, HubScenario } from "./hub.ts";
import type { Infra } from "./infra.ts";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const against = value("against");
if (against === undefined) throw new Error("--against=<checkout> is required");
const MESSAGES = Number(value("messages") ?? 150);
const ACKS_MESSAGES = Number(value("acks-messages") ?? 100);
const PAIRS = Number(value("pairs") ?? 2);
/** Classes that hold only messages in flight (see above): not what a message keeps at 30 days. */
const IN_FLIGHT = new Set(["order", "timers"]);

interface Side {
  name: string;
  runHub: (infra: Infra, scenario: HubScenario, tag: string) => Promise<HubResult>;
  startInfra: () => Promise<Infra>;
}

async function side(name: string, root: string): Promise<Side> {
  const load = async <T>(path: string) => (await import(pathToFileURL(resolve(root, path)).href)) as T;
  const { runHub } = await load<Pick<Side, "runHub">>("bench/e2e/hub.ts");
  const { startInfra } = await load<Pick<Side, "startInfra">>("bench/e2e/infra.ts");
  return { name, runHub, startInfra };
}

function line(label: string, result: HubResult): string {
  const classes = Object.entries(result.redisByKeyClass ?? {}).sort((a, b) => b[1].bytes - a[1].bytes);
  const total = classes.reduce((sum, [, c]) => sum + c.bytes, 0);
  const kept = classes.filter(([name]) => !IN_FLIGHT.has(name)).reduce((sum, [, c]) => sum + c.bytes, 0);
  const listed = classes.map(([name, c]) => `${name} ${c.bytes}${c.keys >= 0.5 ? ` (${c.keys} keys)` : ""}`);
  return `${label} ${total} B, kept ${kept} B — ${listed.join(", ")}; lost ${result.lost}, duplicates ${result.duplicates}`;
}

const sides = [await side("against", against), await side("this", resolve(import.meta.dirname, "../.."))];
for (let pair = 1; pair <= PAIRS; pair++) {
  // Alternated: against first in odd pairs, this first in even ones.
  for (const current of pair % 2 === 1 ? sides : sides.toReversed()) {
    const infra = await current.startInfra();
    try {
      const tag = `rest${pair}${current.name.slice(0, 2)}`;
      const webhook = await current.runHub(
        infra,
        { name: "at rest, webhook", delivery: "webhook", messages: MESSAGES, mix: "mixed" },
        `${tag}w`,
      );
      const acks = await current.runHub(
        infra,
        { name: "at rest, receivers acknowledge", delivery: "acks", messages: ACKS_MESSAGES, mix: "mixed" },
        `${tag}a`,
      );
      const at = new Date().toISOString().slice(11, 19);
      console.log(`${at} ${current.name} ${pair}: ${line("webhook", webhook)}`);
      console.log(`${at} ${current.name} ${pair}: ${line("acks", acks)}`);
    } finally {
      await infra.stop();
    }
  }
}

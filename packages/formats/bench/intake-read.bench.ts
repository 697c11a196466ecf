/**
 * CPU per message of intake's and the gateway's readings of the e2e bench's messages (bench/e2e/messages.ts), by
 * process.cpuUsage (steadier than wall time on a shared machine), arms alternated in one process (in reverse order
 * every other round), medians of the rounds after the first:
 *   intake before   readMessage of FORMATS_ROOT's checkout (default: this one)
 *   intake after    readMessage of this checkout (one detection, one decoding: docs/decisions/0100; an OIOXML
 *                   letter's well-formedness checked in the tree's own pass: docs/decisions/0106)
 *   intake two readings   parseMessage + readMessageIdentity of FORMATS_ROOT's checkout (before decision 0100)
 *   gateway before / after   readMessageIdentity of FORMATS_ROOT's checkout / of this one
 * node packages/formats/bench/intake-read.bench.ts        FORMATS_ROOT=<checkout> for before / after; BENCH_ROUNDS, 7
 */
import { fileURLToPath } from "node:url";
import { messageAt } from "../../../bench/e2e/messages.ts";
import * as after from "../src/index.ts";

const root = process.env.FORMATS_ROOT ?? fileURLToPath(new URL("../../../", import.meta.url));
const before = (await import(`${root}/packages/formats/src/index.ts`)) as typeof after;
const N = 2_000;
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);

for (const type of ["fhir", "oioxml", "attach"] as const) {
  const messages = Array.from({ length: N }, (_, i) => messageAt(type, i, "intake-read"));
  const arms: Record<string, (m: (typeof messages)[number]) => unknown> = {
    "intake two readings": (m) => {
      before.parseMessage(m.body, { contentType: m.contentType });
      before.readMessageIdentity(m.body, { contentType: m.contentType });
    },
    "intake before": (m) => before.readMessage(m.body, { contentType: m.contentType }),
    "intake after": (m) => after.readMessage(m.body, { contentType: m.contentType }),
    "gateway before": (m) => before.readMessageIdentity(m.body, { contentType: m.contentType }),
    "gateway after": (m) => after.readMessageIdentity(m.body, { contentType: m.contentType }),
  };
  const times = new Map<string, number[]>();
  const order = Object.entries(arms);
  // The arms' order reversed every other round: the first arm after another checkout's ran slower (xv17 round).
  for (let round = 0; round < rounds; round++)
    for (const [name, read] of round % 2 === 0 ? order : [...order].reverse()) {
      const start = process.cpuUsage();
      for (const message of messages) read(message);
      const used = process.cpuUsage(start);
      times.set(name, [...(times.get(name) ?? []), (used.user + used.system) / N]);
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const cells = [...times].map(([name, xs]) => `${name} ${median(xs.slice(1)).toFixed(1)} µs`);
  console.log(`${type} (${messages[0]?.body.byteLength} B): ${cells.join(", ")}`);
}

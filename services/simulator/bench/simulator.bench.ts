// How fast the simulator can plan and offer messages, without a hub in the way:
//   node services/simulator/bench/simulator.bench.ts [rate] [seconds]
// 1. plan throughput: building real MedCom messages (FHIR JSON/XML, OIOXML) for the demo region;
// 2. offered rate: the paced senders (SDK clients over loopback HTTP) against a stand-in gateway that
//    answers 202 at once, at the requested rate; reports what was achieved and how far behind it fell.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import { planMessages } from "../src/planner.ts";
import { demoScenario } from "../src/scenario.ts";
import { createSimulation } from "../src/simulation.ts";
import { buildWorld } from "../src/world.ts";

const rate = Number(process.argv[2] ?? 2000);
const seconds = Number(process.argv[3] ?? 5);

const scenario = demoScenario({ natsEndpoints: [] });
const world = buildWorld(scenario, 1);
const planCount = 20_000;
let started = performance.now();
const plan = planMessages({ seed: 1, rate: 1000, scenario, world, startTime: Date.now() }, planCount);
const planMs = performance.now() - started;
const bytes = plan.reduce(
  (sum, m) => sum + (typeof m.body === "string" ? Buffer.byteLength(m.body) : m.body.length),
  0,
);
console.log(
  `plan: ${planCount} messages in ${planMs.toFixed(0)} ms = ${Math.round((planCount / planMs) * 1000)} msg/s ` +
    `(mean ${Math.round(bytes / planCount)} bytes)`,
);

let received = 0;
const gateway = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    received++;
    response.writeHead(202, { "content-type": "application/json" });
    response.end(JSON.stringify({ id: `h${received}`, messageId: `m${received}`, status: "received" }));
  });
});
await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
const hubUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
const simulation = createSimulation({ seed: 1, rate, scenario, hubUrl, limit: rate * seconds, maxInFlight: 512 });
await simulation.listen();
started = performance.now();
await simulation.start();
let maxBehind = 0;
while (received < rate * seconds && performance.now() - started < seconds * 1000 * 4) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  maxBehind = Math.max(maxBehind, simulation.stats().behind);
}
const elapsed = (performance.now() - started) / 1000;
await simulation.stop();
await new Promise<void>((resolve) => gateway.close(() => resolve()));
const stats = simulation.stats();
console.log(
  `offered ${rate} msg/s for ${seconds} s: ${received} sent in ${elapsed.toFixed(2)} s = ${Math.round(received / elapsed)} msg/s, ` +
    `most behind ${maxBehind}, send errors ${JSON.stringify(stats.sendErrors)}`,
);
console.log(
  `machine: ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

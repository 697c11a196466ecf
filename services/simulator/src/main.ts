// The standalone simulator against a hub running elsewhere. Only wires: arguments, registry file, signals.
import { writeFile } from "node:fs/promises";
import { createClient, HubRequestError, HubUnreachableError } from "@carehub/client";
import { demoMisbehaviour, demoScenario } from "./scenario.ts";
import { DEMO_OPERATOR_ID } from "./scenario-registry.ts";
import { createSimulation } from "./simulation.ts";
import { parseSimulatorArgs, SIMULATOR_USAGE } from "./simulator-args.ts";
import { buildWorld } from "./world.ts";

const args = parseSimulatorArgs(process.argv.slice(2));
if ("error" in args) {
  process.stderr.write(`simulator: ${args.error}\n\n${SIMULATOR_USAGE}\n`);
  process.exit(2);
}
const base = demoScenario({ natsEndpoints: [] });
const world = buildWorld(base, args.seed);
const scenario = args.misbehave
  ? {
      ...base,
      misbehaviour: demoMisbehaviour({
        practices: world.byRole.practice.map((e) => e.id),
        municipalities: world.byRole.municipality.map((e) => e.id),
        hospitals: world.byRole.hospital.map((e) => e.id),
      }),
    }
  : base;
const simulation = createSimulation({
  seed: args.seed,
  rate: args.rate,
  scenario,
  hubUrl: args.hubUrl,
  ackTimeoutMs: 60_000,
});
const region = await simulation.listen();
await writeFile(args.registryOut, `${JSON.stringify(region.registry, null, 2)}\n`);
process.stdout.write(`registry for ${region.endpoints.length} endpoints written to ${args.registryOut}\n`);
process.stdout.write(
  `operator token ${DEMO_OPERATOR_ID} = ${region.operatorToken}   (this run only; reads everything)\n`,
);

// The hub knows the region once it answers and accepts an endpoint's token.
const [first] = region.endpoints;
const probe = createClient({ baseUrl: args.hubUrl, token: first === undefined ? "" : (region.tokens[first.id] ?? "") });
for (;;) {
  const known = await probe.getStats().then(
    () => true,
    (error: unknown) =>
      !(error instanceof HubUnreachableError) &&
      !(error instanceof HubRequestError && (error.status === 401 || error.status === 403 || error.status >= 500)),
  );
  if (known) break;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}
await simulation.start();
process.stdout.write(`sending ${args.rate} msg/s to ${args.hubUrl} (seed ${args.seed}); Ctrl-C stops\n`);

const stop = async () => {
  await simulation.stop();
  process.stdout.write(`${JSON.stringify(simulation.stats())}\n`);
};
if (args.durationMs !== undefined) setTimeout(() => void stop(), args.durationMs);
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());

/**
 * The hub under test, in a process of its own so that its CPU and memory are its own: startHub (every
 * service, or those named) with the registry the driver wrote. Env BENCH_HUB: JSON { natsUrl, redisUrl,
 * namespace, registry, services? }. Answers { url } on the IPC channel once started; "stop" stops it.
 * { profile: "start" } / { profile: <path> } take a V8 CPU profile (the format of node --cpu-prof) of the
 * measured load only, without start-up and warm-up; { heapProfile: "start" } / { heapProfile: <path> } likewise take
 * a sampling heap profile (the format of node --heap-prof, garbage included: bench/e2e/heap-profile.ts).
 * { loop: "start" } / { loop: "stop" } watch its event-loop delay and garbage collections over the measured load,
 * answered as { loop: LoopFigures }.
 */
import { parseServiceSettings, startHub } from "@carehub/hub";
import { parseHubConfig, type RegistryConfigInput } from "@carehub/schemas";
import { startHeapProfile } from "./heap-profile.ts";
import { type LoopMonitor, monitorLoop } from "./loop.ts";
import { startProfile } from "./profile.ts";

interface HubProcessInput {
  natsUrl: string;
  redisUrl: string;
  namespace: string;
  registry: RegistryConfigInput;
  services?: string[];
}

// BENCH_NATS_OPS=<file>: count what this process asks of NATS, written when it stops (bench/e2e/nats-ops.ts).
const writeNatsOps =
  process.env.BENCH_NATS_OPS === undefined
    ? undefined
    : (await import("./nats-ops.ts")).countNatsOps(process.env.BENCH_NATS_OPS);
const input = JSON.parse(process.env.BENCH_HUB ?? "{}") as HubProcessInput;
const config = parseHubConfig(
  { NATS_URL: input.natsUrl, REDIS_URL: input.redisUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
  // The test profile (docs/decisions/0085): the bench measures the pipeline, not the gateway's shedding for
  // event-loop lag or INGRESS backlog, which an as-fast-as-possible run on a shared machine would trigger.
  // OUTBOX by reference on (docs/decisions/0109, off by default): every process of the bench runs this release.
  { namespace: input.namespace, httpPort: 0, registryPath: "unused", profile: "test", outboxByReference: true },
);
const hub = await startHub({
  config,
  // The services' own settings from this process's environment, as `carehub start` reads them
  // (CAREHUB_ROUTER_CONCURRENCY=64 pnpm bench:catchup …).
  settings: parseServiceSettings(process.env, config),
  registry: input.registry,
  ...(input.services === undefined ? {} : { services: input.services }),
});
let loopMonitor: LoopMonitor | undefined;
/**
 * One profiler of this process driven by the driver's commands: "start" starts it, a path stops it and writes the
 * profile there; each answered `{ [answer]: command }` once done.
 */
function profilerCommands(start: () => Promise<{ stop(path: string): Promise<void> }>, answer: string) {
  let running: { stop(path: string): Promise<void> } | undefined;
  return async (command: string): Promise<void> => {
    if (command === "start") running = await start();
    else if (running !== undefined) {
      await running.stop(command);
      running = undefined;
    }
    process.send?.({ [answer]: command });
  };
}
const profile = profilerCommands(startProfile, "profiled");
const heapProfile = profilerCommands(startHeapProfile, "heapProfiled");
// A driver that died (killed, crashed) takes its hub with it.
process.on("disconnect", () => void hub.stop().finally(() => process.exit(1)));
process.on("message", (message) => {
  if (message === "stop")
    void hub.stop().finally(() => {
      writeNatsOps?.();
      process.exit(0);
    });
  const command = (message as { profile?: unknown })?.profile;
  if (typeof command === "string") void profile(command);
  const heapCommand = (message as { heapProfile?: unknown })?.heapProfile;
  if (typeof heapCommand === "string") void heapProfile(heapCommand);
  const loop = (message as { loop?: unknown })?.loop;
  if (loop === "start") loopMonitor = monitorLoop();
  else if (loop === "stop") process.send?.({ loop: loopMonitor?.stop() ?? null });
});
process.send?.({ url: hub.url ?? "" });

/**
 * The hub under test, in a process of its own so that its CPU and memory are its own: startHub (every
 * service, or those named) with the registry the driver wrote. Env BENCH_HUB: JSON { natsUrl, redisUrl,
 * namespace, registry, services? }. Answers { url } on the IPC channel once started; "stop" stops it.
 */
import { startHub } from "@carehub/hub";
import { parseHubConfig, type RegistryConfigInput } from "@carehub/schemas";

interface HubProcessInput {
  natsUrl: string;
  redisUrl: string;
  namespace: string;
  registry: RegistryConfigInput;
  services?: string[];
}

const input = JSON.parse(process.env.BENCH_HUB ?? "{}") as HubProcessInput;
const config = parseHubConfig(
  { NATS_URL: input.natsUrl, REDIS_URL: input.redisUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
  { namespace: input.namespace, httpPort: 0, registryPath: "unused" },
);
const hub = await startHub({
  config,
  registry: input.registry,
  ...(input.services === undefined ? {} : { services: input.services }),
});
process.on("message", (message) => {
  if (message === "stop") void hub.stop().finally(() => process.exit(0));
});
process.send?.({ url: hub.url ?? "" });

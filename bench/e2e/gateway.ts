/**
 * node bench/e2e/gateway.ts [--messages=3000] [--rounds=3] [--root=<another checkout>]
 *
 * What taking one message costs the gateway alone: a hub process running only the gateway (`services:
 * ["gateway"]`, nothing consumes INGRESS), on private servers, fed the e2e mix over HTTP by this process (64
 * requests in flight); CPU per message of the gateway's process, nats-server and redis-server, per round, after a
 * warm-up. Without the other stages beside it on the two cores, its figure moves less with the load than the
 * gateway's line of `pair.ts --split`. `--root` (as in the dispatcher's drain bench) runs that checkout's hub process (the driver stays this one's), for
 * alternating a before and an after (docs/performance.md, the gw15 round).
 */
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { childPids, startChild } from "./children.ts";
import { post, sendAll } from "./hub.ts";
import { benchRegistry, ENDPOINTS } from "./hub-registry.ts";
import { startInfra } from "./infra.ts";
import { CpuMeter } from "./measure.ts";
import { messageAt } from "./messages.ts";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const messages = Number(value("messages") ?? 3_000);
const rounds = Number(value("rounds") ?? 3);
const root = value("root");
const script =
  root === undefined ? new URL("./hub-process.ts", import.meta.url) : pathToFileURL(`${root}/bench/e2e/hub-process.ts`);
const WARM_UP = 300;

const infra = await startInfra();
const tag = `gw${Date.now().toString(36)}`;
try {
  // Receivers are never called: nothing runs past the gateway.
  const nowhere = "http://127.0.0.1:9/";
  const registry = benchRegistry("webhook", Object.fromEntries(ENDPOINTS.map(({ id }) => [id, nowhere])));
  const gateway = await startChild("gateway", script, [], {
    env: {
      BENCH_HUB: JSON.stringify({
        natsUrl: infra.natsUrl,
        redisUrl: infra.redisUrl,
        namespace: `bench${tag}`,
        registry,
        services: ["gateway"],
      }),
    },
  });
  try {
    const { url } = await gateway.next((m): m is { url: string } => typeof (m as { url?: unknown })?.url === "string");
    const send = (message: Parameters<typeof post>[1]) => post(url, message);
    const sentAt = new Map<string, number>();
    await sendAll(
      send,
      Array.from({ length: WARM_UP }, (_, i) => messageAt("mixed", i, `${tag}-warm`)),
      sentAt,
      undefined,
    );
    const figures: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const meter = new CpuMeter({
        gateway: gateway.pid,
        "nats-server": childPids("nats-server")[0] ?? "self",
        "redis-server": childPids("redis-server")[0] ?? "self",
      });
      const batch = Array.from({ length: messages }, (_, i) => messageAt("mixed", i, `${tag}-r${round}`));
      meter.start();
      const started = performance.now();
      await sendAll(send, batch, sentAt, undefined);
      const seconds = (performance.now() - started) / 1000;
      const cpu = meter.stop(messages);
      figures.push(
        `round ${round + 1}: ${Math.round(messages / seconds)} msg/s; CPU per message: ` +
          Object.entries(cpu)
            .map(([name, p]) => `${name} ${p.cpuMicrosPerMsg} µs`)
            .join(", "),
      );
    }
    console.log(`load ${(loadavg()[0] ?? 0).toFixed(1)}; ${root ?? "this checkout"}; ${figures.join("; ")}`);
  } finally {
    await gateway.stop();
  }
} finally {
  await infra.stop();
}
process.exit(0);

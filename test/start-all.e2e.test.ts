import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, connectBus } from "@carehub/bus";
import { SERVICE_NAMES, START_BUNDLE_ENTRY, startBundleState } from "@carehub/hub";
import { sharedNatsUrl, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupHubNamespace } from "./src/namespace.ts";
import { type Outgoing, pipelineMessage, pipelineRegistry } from "./src/pipeline-traffic.ts";
import { RecordingReceivers } from "./src/recording-receivers.ts";
import {
  consumerState,
  HUB_SERVICES,
  type HubWorker,
  hubProcessEnv,
  type RunningUrls,
  ServiceProcess,
} from "./src/service-process.ts";
import { waitFor } from "./src/wait-for.ts";

/**
 * `carehub start --all` — every service in one process — as operators run it, from the start bundle while that is
 * fresh (docs/decisions/0105). The bundle is built with esbuild's code splitting: each service is a chunk loaded
 * when the process starts it, and the chunks share modules whose top-level code runs once, in an order esbuild
 * decides. A service whose chunk read a shared module before that module ran would fail at start, or start without
 * its consumers; this suite proves every service is up in the one process: each is named running (the console too), each worker's
 * durable consumers exist, and messages go through all of them — gateway, intake, router (a rule's copy too),
 * dispatcher — to their receivers, and the tracker's read model answers for them.
 */

const namespace = testNamespace("startall");
const receivers = new RecordingReceivers();
let hub: ServiceProcess;
let running: RunningUrls;
let dir: string;
let bus: Bus;

beforeAll(async () => {
  const receiverUrl = await receivers.start();
  dir = await mkdtemp(join(tmpdir(), "carehub-start-all-"));
  const registryPath = join(dir, "endpoints.json");
  await writeFile(registryPath, JSON.stringify(pipelineRegistry(receiverUrl, "carehub (start --all)")));
  hub = new ServiceProcess("all", hubProcessEnv(namespace, registryPath, { LOG_LEVEL: "warn" }));
  hub.start();
  running = await hub.running(60_000);
  bus = await connectBus({ servers: sharedNatsUrl(), name: `test-${namespace}`, namespace });
}, 90_000);

afterAll(async () => {
  await hub?.kill("SIGTERM");
  await bus?.drain();
  await receivers.close();
  await cleanupHubNamespace(namespace);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("carehub start --all, from the start bundle while it is fresh", () => {
  it("runs the bundle when it is fresh (and scripts/test insists it is), the sources otherwise", () => {
    const bundle = startBundleState();
    if (process.env.CAREHUB_EXPECT_START_BUNDLE === "1") expect(bundle.state).toBe("fresh");
    const commandLine = readFileSync(`/proc/${hub.pid}/cmdline`, "utf8").split("\0");
    if (bundle.state === "fresh") expect(commandLine).toContain(START_BUNDLE_ENTRY);
    else expect(commandLine).not.toContain(START_BUNDLE_ENTRY);
  });

  it("starts every service, each with its durable consumers", async () => {
    // Every service the hub has (the console too), named as running once each has started.
    expect([...running.services].sort()).toEqual([...SERVICE_NAMES].sort());
    expect(running.services).toEqual(expect.arrayContaining([...HUB_SERVICES]));
    expect((await fetch(`${running.opsUrl}/readyz`)).status).toBe(200);
    const workers: HubWorker[] = ["intake", "router", "dispatcher", "tracker"];
    for (const worker of workers) {
      expect((await consumerState(bus, worker)).consumers, worker).toBeGreaterThan(0);
    }
  });

  it("moves messages through every service: accepted, routed (a rule's copy too), delivered, tracked", async () => {
    const gatewayUrl = running.gatewayUrl ?? "";
    // A practice's lab result (to a colleague and, by the databank rule, the databank) and a home-care observation.
    const messages: Outgoing[] = [pipelineMessage(0), pipelineMessage(2)];
    const hubIds: string[] = [];
    for (const message of messages) {
      const response = await fetch(`${gatewayUrl}/v1/messages`, {
        method: "POST",
        headers: { "content-type": message.contentType, authorization: `Bearer token-${message.from}` },
        body: typeof message.body === "string" ? message.body : Buffer.from(message.body),
      });
      expect(response.status).toBe(202);
      hubIds.push(((await response.json()) as { id: string }).id);
    }
    await waitFor("every copy at its receiver", async () =>
      messages.every((m) => m.to.every((endpoint) => receivers.has(endpoint, m.messageId))) ? true : undefined,
    );
    for (const hubId of hubIds) {
      const status = await waitFor(`the tracker's status of ${hubId}`, async () => {
        const response = await fetch(`${gatewayUrl}/v1/messages/${hubId}`, {
          headers: { authorization: "Bearer token-operator" },
        });
        const found = response.status === 200 ? ((await response.json()) as { status: string }) : undefined;
        return found?.status === "delivered" ? found.status : undefined;
      });
      expect(status).toBe("delivered");
    }
  });
});

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore } from "@carehub/store";
import { sharedNatsUrl, sharedRedisUrl } from "@carehub/testkit";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CarehubRun, runCarehub } from "./src/cli-process.ts";
import { type Harness, startHarness } from "./src/harness.ts";

/**
 * `carehub rebuild` as an operator runs it (the CLI in a child process) over a live hub's namespace: the read
 * model it rebuilds from the streams equals the one the tracker wrote, acknowledgement timers included — a
 * rebuild that dropped them would leave every awaited acknowledgement never flagged overdue. Found by the
 * chaos suite (docs/reliability.md), which compares every scenario's read model with a rebuild.
 */

let h: Harness;
let dir: string;
let redis: Redis;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), "carehub-rebuild-"));
  redis = new Redis(sharedRedisUrl());
});

afterAll(async () => {
  redis?.disconnect();
  await h?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function rebuild(registryPath: string): Promise<CarehubRun> {
  return runCarehub(["rebuild", "--yes", "--json"], {
    PATH: process.env.PATH,
    NATS_URL: sharedNatsUrl(),
    REDIS_URL: sharedRedisUrl(),
    CAREHUB_NAMESPACE: h.namespace,
    CAREHUB_REGISTRY: registryPath,
    LOG_LEVEL: "error",
  });
}

describe("carehub rebuild", () => {
  it("rebuilds the read model the tracker wrote, key for key, acknowledgement timers included", async () => {
    const observation = await readFile(
      medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
    );
    expect((await h.send("acute-team", observation, "application/fhir+json")).status).toBe(202);
    await h.receiver("practice").waitFor((deliveries) => deliveries.length === 1);
    const store = createStore({ redis, namespace: h.namespace, retentionDays: 90, patientHashKey: "unused-here-16ch" });
    // Delivered, so an acknowledgement is awaited: the tracker has armed its timer. The tracker folds events in
    // batches, so the timer can stand before the status index has moved: wait for both, never a half-folded model.
    const live = await h.waitFor(async () => {
      const dump = await store.dumpReadModel();
      const keys = Object.keys(dump);
      const settled =
        keys.some((key) => key.endsWith(":timers")) &&
        keys.some((key) => key.endsWith(":idx:st:delivered")) &&
        !keys.some((key) => key.endsWith(":idx:st:routed"));
      return settled ? dump : undefined;
    }, "the acknowledgement timer and the delivered status");

    const registryPath = join(dir, "endpoints.json");
    await writeFile(registryPath, JSON.stringify(h.registry));
    const run = await rebuild(registryPath);
    expect(run.code, run.stderr).toBe(0);
    expect(await store.dumpReadModel()).toEqual(live);
  });
});

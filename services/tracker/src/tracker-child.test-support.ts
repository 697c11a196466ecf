// A tracker in a process of its own, for the crash test (tracker.crash.int.test.ts): the test kills it with
// SIGKILL mid-run. Configuration comes from the environment the test sets.
import { connectBus } from "@carehub/bus";
import { Redis } from "ioredis";
import { startTracker } from "./start-tracker.ts";
import { trackerRegistry } from "./tracker-fixtures.test-support.ts";

const namespace = process.env.CAREHUB_NAMESPACE ?? "";
const bus = await connectBus({ servers: process.env.NATS_URL ?? "", name: `tracker-child-${process.pid}`, namespace });
const redis = new Redis(process.env.REDIS_URL ?? "", { maxRetriesPerRequest: 3 });
redis.on("error", () => {
  // The test restarts Redis on purpose; the tracker retries what failed.
});
await startTracker({
  bus,
  redis,
  registry: trackerRegistry(),
  config: { namespace, retentionDays: 30, patientHashKey: "crash-test-key-0123456789" },
  options: { ackWaitMs: 2_000, timerPollMs: 200 },
});
process.stdout.write("ready\n");

import { connectBus, HEADER } from "@carehub/bus";
import { sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCarehub } from "./src/cli-process.ts";
import { cleanupHubNamespace } from "./src/namespace.ts";

// Progress of `carehub rebuild` and `carehub redrive`: the real CLI in a child process (stderr a pipe, not a
// terminal) against the shared NATS and Redis in a private namespace holding a few events and dead letters.
const namespace = testNamespace("cli-progress");

function carehub(args: string[]) {
  return runCarehub(args, {
    ...process.env,
    NATS_URL: sharedNatsUrl(),
    REDIS_URL: sharedRedisUrl(),
    CAREHUB_NAMESPACE: namespace,
    LOG_LEVEL: "error",
  });
}

beforeAll(async () => {
  const bus = await connectBus({ servers: sharedNatsUrl(), name: `cli-${namespace}`, namespace });
  try {
    await bus.provision();
    for (let i = 1; i <= 3; i++) {
      await bus.publish(bus.topology.subjects.events("received"), JSON.stringify({ note: `event ${i}` }), {
        msgId: `progress-event-${i}`,
        contentType: "application/json",
      });
    }
    for (let i = 1; i <= 2; i++) {
      await bus.publish(bus.topology.subjects.dlq("dispatcher"), "payload", {
        msgId: `progress-dead-${i}`,
        contentType: "application/json",
        headers: {
          [HEADER.stage]: "dispatcher",
          [HEADER.hubId]: `01JCLIPROGRESS00000000000${i}`,
          [HEADER.errorCode]: "CAREHUB_ERR_DELIVERY_HTTP_REFUSED",
          [HEADER.originalSubject]: bus.topology.subjects.outbox("klamer"),
        },
      });
    }
  } finally {
    await bus.drain();
  }
});

afterAll(async () => {
  await cleanupHubNamespace(namespace);
});

describe("progress of long operations, on stderr only", () => {
  it("rebuild --progress writes progress lines to stderr up to the last message; stdout stays the JSON report", async () => {
    const run = await carehub(["rebuild", "--yes", "--json", "--progress"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^carehub rebuild: events 3\/3$/m);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ events: 3 });
    // Without --progress and without a terminal: no progress line at all.
    const quiet = await carehub(["rebuild", "--yes", "--json"]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain("carehub rebuild:");
  });

  it("redrive --progress counts the dead letters looked at and moved back, on stderr", async () => {
    const run = await carehub(["redrive", "--json", "--progress"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ redriven: 2 });
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^carehub redrive: 2 redriven, 2\/2 dead letter\(s\) looked at$/m);
  });
});

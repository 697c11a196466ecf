import { connectBus } from "@carehub/bus";
import type { LifecycleEvent } from "@carehub/schemas";
import { sharedNatsUrl, testNamespace } from "@carehub/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { startDemoProcess } from "./src/demo-process.ts";
import { cleanupHubNamespace } from "./src/namespace.ts";

// `carehub demo` as a user runs it (the real CLI in a child process), bounded by --duration, in a private
// namespace on the shared NATS and Redis: the simulated region must make messages of several kinds flow
// through the whole hub, and the process must end by itself once everything is closed.
const namespace = testNamespace("demo");

afterAll(async () => {
  await cleanupHubNamespace(namespace);
});

async function runDemoProcess(args: string[]) {
  const demo = startDemoProcess(namespace, args);
  const code = await demo.exited;
  return { code, stdout: demo.stdout(), stderr: demo.stderr(), exitLagMs: Date.now() - (demo.stoppedAt() ?? 0) };
}

async function hubEvents(): Promise<LifecycleEvent[]> {
  const bus = await connectBus({ servers: sharedNatsUrl(), name: `read-${namespace}`, namespace });
  try {
    const stream = bus.topology.streams.events;
    const { state } = await bus.jsm.streams.info(stream);
    const events: LifecycleEvent[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const message = await bus.getMessage(stream, seq);
      if (message !== null) events.push(JSON.parse(Buffer.from(message.data).toString()) as LifecycleEvent);
    }
    return events;
  } finally {
    await bus.drain();
  }
}

describe("carehub demo", () => {
  it("runs the simulated region through the hub for a bounded time and exits cleanly", async () => {
    const run = await runDemoProcess(["--duration", "8", "--rate", "25", "--seed", "4"]);
    expect(run.code, run.stderr).toBe(0);
    // Where to look, then the summary, then a clean stop.
    expect(run.stdout).toMatch(/OpenAPI\s+http:\/\/127\.0\.0\.1:\d+\/openapi\.json/);
    expect(run.stdout).toMatch(/dev token \S+ = [0-9a-f]{64}/);
    // The query examples use the operator's token (an endpoint's could not list every referral).
    const operatorToken = /operator token demo-operator = ([0-9a-f]{64})/.exec(run.stdout)?.[1];
    expect(operatorToken).toBeDefined();
    expect(run.stdout).toContain(`curl -s -H 'Authorization: Bearer ${operatorToken}' '`);
    expect(run.stdout).toContain("referrals:");
    expect(run.stdout).toContain("carehub demo stopped");
    // The process ended on its own right after stopping (the CLI forces an exit only after 5 s of stray handles).
    expect(run.exitLagMs).toBeLessThan(4_000);

    const events = await hubEvents();
    const delivered = new Set(events.filter((e) => e.type === "delivered").map((e) => e.kind));
    for (const kind of ["referral", "lab-result", "homecare-observation", "hospital-notification", "acknowledgement"]) {
      expect(delivered, `no ${kind} was delivered`).toContain(kind);
    }
    expect(delivered.size).toBeGreaterThanOrEqual(6);
    // The simulated systems acknowledged what they got, and answered referrals or tasks with status updates.
    expect(events.filter((e) => e.type === "acknowledged" && e.code === "ok").length).toBeGreaterThan(20);
    expect(events.some((e) => e.type === "status-changed")).toBe(true);
    expect(events.filter((e) => e.type === "rejected")).toEqual([]);
  });
});

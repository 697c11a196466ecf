import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  rmSync(join(tmpdir(), `carehub-demo-${namespace}.log`), { force: true });
});

// The demo runs 8 s; starting and stopping the hub take a few more on an idle machine, several times that on a
// busy 2-core one. Past this the test stops waiting, kills the demo and shows what it printed.
const EXIT_DEADLINE_MS = 100_000;

async function runDemoProcess(
  args: string[],
  whileRunning?: (stdout: () => string, running: () => boolean) => Promise<void>,
) {
  const demo = startDemoProcess(namespace, args);
  let running = true;
  void demo.exited.then(() => {
    running = false;
  });
  const during = whileRunning?.(demo.stdout, () => running);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), EXIT_DEADLINE_MS);
  });
  const outcome = await Promise.race([demo.exited, deadline]);
  clearTimeout(timer);
  if (outcome === "deadline") {
    demo.child.kill("SIGKILL");
    throw new Error(
      `the demo did not exit within ${EXIT_DEADLINE_MS / 1000} s\nstdout:\n${demo.stdout()}\nstderr:\n${demo.stderr()}`,
    );
  }
  await during;
  return { code: outcome, stdout: demo.stdout(), stderr: demo.stderr() };
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
  it("runs the simulated region through the hub for a bounded time and exits cleanly", {
    timeout: EXIT_DEADLINE_MS + 20_000,
  }, async () => {
    // While it runs: the console it prints takes the operator token it prints.
    let signedIn: number | undefined;
    const run = await runDemoProcess(["--duration", "8", "--rate", "25", "--seed", "4"], async (stdout, running) => {
      let found: RegExpExecArray | null = null;
      while (found === null && running()) {
        found = /console\s+(http:\/\/127\.0\.0\.1:\d+)[\s\S]*operator token demo-operator = ([0-9a-f]{64})/.exec(
          stdout(),
        );
        if (found === null) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (found === null) return;
      const response = await fetch(`${found[1]}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: found[2] }),
      });
      signedIn = response.status;
    });
    expect(signedIn, run.stdout).toBe(200);
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
    // The process ended on its own once everything was closed: the CLI forces an exit, and says so, only when
    // something it started was still open 5 s after stopping.
    expect(run.stderr).not.toContain("exiting anyway");

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

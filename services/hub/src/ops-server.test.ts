import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { HUB_NODE_FLAGS } from "./node-flags.ts";
import { type OpsServer, opsListenerFile, startOpsServer } from "./ops-server.ts";
import { START_BUNDLE_ENTRY, START_BUNDLE_OPS_LISTENER } from "./start-bundle.ts";

/**
 * The ops port's `/healthz` is answered by a thread of its own from the main loop's heartbeat: it answers while
 * the main thread is busy, says `stalled` (503) once the main loop has not turned for the stall limit, and is
 * `ok` again when it turns; `/readyz` is the main thread's answer.
 */

/** A thread that GETs `url` every 20 ms and reports each status, so requests go out while this thread is blocked. */
function poller(url: string): { statuses: number[]; stop(): Promise<number> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const timer = setInterval(() => {
       fetch(workerData.url).then((r) => parentPort.postMessage(r.status), () => parentPort.postMessage(0));
     }, 20);
     parentPort.on("message", () => { clearInterval(timer); parentPort.close(); });`,
    { eval: true, workerData: { url } },
  );
  const statuses: number[] = [];
  worker.on("message", (status: number) => statuses.push(status));
  return {
    statuses,
    stop: async () => {
      worker.postMessage("stop");
      return new Promise((resolve) => worker.once("exit", resolve));
    },
  };
}

/** Keeps this thread's event loop from turning for `ms` (a stuck main loop). */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe("the ops server's liveness", () => {
  let ops: OpsServer | undefined;
  afterEach(async () => {
    await ops?.close();
  });

  it("answers from its own thread, says stalled while the main loop does not turn, and ok once it turns again", async () => {
    ops = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      stallMs: 300,
      readiness: async () => ({ ready: false, body: { status: "unavailable" } }),
    });
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${ops.url}/readyz`)).status).toBe(503);
    // Not the start bundle's process: the thread runs the source, and says so.
    expect(ops.listenerFile).toBe(fileURLToPath(new URL("./ops-listener.cts", import.meta.url)));

    const polling = poller(`${ops.url}/healthz`);
    // Wait until the poller's answers arrive, then stop this loop for well over the stall limit.
    while (polling.statuses.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    block(1_500);
    // The answers given while this thread was blocked arrive now, in a burst; wait for a 200 after the first 503
    // (the heartbeat beats again once this loop turns), with a deadline.
    const statuses = polling.statuses;
    const recovered = () => statuses.indexOf(503) !== -1 && statuses.lastIndexOf(200) > statuses.indexOf(503);
    const deadline = Date.now() + 10_000;
    while (!recovered() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await polling.stop();
    // Answered while blocked (503 once the heartbeat was older than the limit), then ok again.
    expect(statuses).toContain(503);
    expect(recovered()).toBe(true);
    expect(statuses).not.toContain(0);
  });
});

describe("the ops listener's memory", () => {
  it("gives back what its thread's start-up used before it says it listens", () => {
    // In a node of its own, started as `carehub start` starts (node-flags.ts: the young generation's cap); the
    // listener's heap is read from node's diagnostic report, which has a section per worker thread.
    const script = `
      import { startOpsServer } from ${JSON.stringify(fileURLToPath(new URL("./ops-server.ts", import.meta.url)))};
      const ops = await startOpsServer({
        host: "127.0.0.1", port: 0, releaseStartUpMemory: true, readiness: async () => ({ ready: true, body: {} }),
      });
      const heap = process.report.getReport().workers[0].javascriptHeap;
      console.log(JSON.stringify({ newSpace: heap.heapSpaces.new_space.memorySize, total: heap.totalMemory }));
      await ops.close();`;
    const out = execFileSync(process.execPath, [...HUB_NODE_FLAGS, "--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" },
    });
    const heap = JSON.parse(out) as { newSpace: number; total: number };
    // Node's bootstrap of the thread and node:http grow its young generation to 4 MiB (and its heap to ~15 MB),
    // which V8 keeps for minutes; collected once, it is at its 1 MiB minimum.
    expect(heap.newSpace).toBeLessThanOrEqual(2 * 1_048_576);
    expect(heap.total).toBeLessThan(12 * 1_048_576);
  });
});

describe("ops servers started at once in one process", () => {
  it("all start, their threads' collections of start-up garbage beside each other (V8's flags are the process's)", () => {
    // startOpsServer is exported (@carehub/hub) and startHub({ opsServer: true }) runs in tests and embedders: four
    // listeners at a time, 25 times, in a node of its own. A listener whose collection failed ("gc is not defined":
    // another thread cleared --expose-gc between its two steps) used to throw in its listen callback, and its
    // server never started (2–8 of 100 here).
    const script = `
      import { startOpsServer } from ${JSON.stringify(fileURLToPath(new URL("./ops-server.ts", import.meta.url)))};
      const failures = [];
      let started = 0;
      for (let round = 0; round < 25; round++) {
        const results = await Promise.allSettled([0, 1, 2, 3].map(() => startOpsServer({
          host: "127.0.0.1", port: 0, releaseStartUpMemory: true,
          readiness: async () => ({ ready: true, body: {} }),
        })));
        for (const result of results) {
          if (result.status === "rejected") failures.push(String(result.reason?.message));
          else { started++; await result.value.close(); }
        }
      }
      console.log(JSON.stringify({ started, failures }));`;
    const out = execFileSync(process.execPath, [...HUB_NODE_FLAGS, "--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toEqual({ started: 100, failures: [] });
  });
});

describe("the ops listener's file", () => {
  it("is the one built with the start bundle in a process that runs the bundle, the source in any other", () => {
    // A bundled process that ran the source listener would compile TypeScript in its thread: with a cold compile
    // cache, node's stripper, ~14 MB for the process's life.
    expect(opsListenerFile(START_BUNDLE_ENTRY)).toBe(START_BUNDLE_OPS_LISTENER);
    expect(String(opsListenerFile(fileURLToPath(new URL("./cli.ts", import.meta.url))))).toMatch(
      /\/ops-listener\.cts$/,
    );
    expect(String(opsListenerFile(undefined))).toMatch(/\/ops-listener\.cts$/);
  });
});

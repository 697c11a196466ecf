import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { childProcesses } from "./processes.ts";

describe("childProcesses", () => {
  // Catches: reading /proc/<pid>/task/<pid>/children, which lists only the main thread's children — a process that
  // a worker thread started (or any thread but the main one) would be missed, and its memory not counted.
  it("lists the children of every thread of a process, with their command names", async () => {
    const worker = new Worker(
      `const { spawn } = require("node:child_process");
       const { parentPort } = require("node:worker_threads");
       const child = spawn("sleep", ["30"], { stdio: "ignore" });
       parentPort.postMessage(child.pid);
       parentPort.once("message", () => { child.kill("SIGKILL"); child.once("exit", () => parentPort.close()); });`,
      { eval: true },
    );
    const pid = await new Promise<number>((resolve) => worker.once("message", resolve));
    try {
      expect(childProcesses(process.pid)).toContainEqual({ pid, comm: "sleep" });
    } finally {
      worker.postMessage("stop");
      await new Promise((resolve) => worker.once("exit", resolve));
    }
    expect(childProcesses(process.pid).map((child) => child.pid)).not.toContain(pid);
  });
});

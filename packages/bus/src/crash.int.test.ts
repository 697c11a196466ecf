import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sharedNatsUrl } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus, waitFor } from "../test/helpers.ts";
import type { Bus } from "./index.ts";

const fixture = fileURLToPath(new URL("../test/fixtures/recording-consumer.ts", import.meta.url));
let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await testBus("crash");
  bus = env.bus;
  dir = mkdtempSync(join(tmpdir(), "carehub-crash-"));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  await env.cleanup();
});

function startConsumer(logFile: string): ChildProcess {
  const child = spawn(process.execPath, [fixture, sharedNatsUrl(), env.namespace, logFile, "20"], { stdio: "inherit" });
  children.push(child);
  return child;
}

const lines = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];

describe("a consumer process killed with SIGKILL mid-batch", () => {
  it("loses nothing: every message is processed at least once and finally acked by the next process", async () => {
    const total = 300;
    for (let i = 0; i < total; i++) {
      await bus.publish(bus.topology.subjects.outbox("crash"), `m-${i}`, { msgId: `crash-${i}` });
    }
    const firstLog = join(dir, "first.log");
    const first = startConsumer(firstLog);
    await waitFor(
      "first consumer under way",
      () => lines(firstLog).filter((l) => l.startsWith("done")).length >= 40,
      20_000,
    );

    const before = await bus.jsm.consumers.info(bus.topology.streams.outbox, "crash");
    expect(before.num_ack_pending).toBeGreaterThan(0); // it holds un-acked messages right now
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    const doneByFirst = new Set(
      lines(firstLog)
        .filter((l) => l.startsWith("done"))
        .map((l) => l.slice(5)),
    );
    expect(doneByFirst.size).toBeLessThan(total);

    const secondLog = join(dir, "second.log");
    const second = startConsumer(secondLog);
    await waitFor(
      "everything acked",
      async () => {
        const info = await bus.jsm.consumers.info(bus.topology.streams.outbox, "crash");
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      30_000,
    );
    second.kill("SIGTERM");

    const doneBySecond = new Set(
      lines(secondLog)
        .filter((l) => l.startsWith("done"))
        .map((l) => l.slice(5)),
    );
    const missing = Array.from({ length: total }, (_, i) => `m-${i}`).filter(
      (id) => !doneByFirst.has(id) && !doneBySecond.has(id),
    );
    expect(missing).toEqual([]);
    // The ones in flight at the kill were redelivered to the second process.
    expect(doneBySecond.size).toBeGreaterThan(0);
    const after = await bus.jsm.consumers.info(bus.topology.streams.outbox, "crash");
    expect(after.ack_floor.stream_seq).toBe(after.delivered.stream_seq);
  });
});

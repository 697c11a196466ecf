import { Socket } from "node:net";
import { sharedNatsUrl } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus } from "../test/helpers.ts";
import type { Bus } from "./index.ts";

// nats-core flushed its outbound buffer at the end of the microtask queue as it stood, so handlers that publish
// one after another's await wrote to the socket (one syscall) once each. The pnpm patch of @nats-io/nats-core
// flushes once the callback's work is done (process.nextTick; docs/performance.md, "Coalesced socket writes").
// Fails when the patch is lost: one write per publish.
const natsPort = Number(new URL(sharedNatsUrl()).port);

let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
beforeAll(async () => {
  env = await testBus("coalesce");
  bus = env.bus;
  // The request inbox's subscription is made on the first request: not part of what is counted.
  await bus.publish(bus.topology.subjects.ingress("coalesce-0"), "warm", { msgId: "coalesce-warm" });
});
afterAll(() => env.cleanup());

async function writesToNats<T>(run: () => Promise<T>): Promise<{ writes: number; result: T }> {
  const proto = Socket.prototype as unknown as Record<"_write" | "_writev", (...args: unknown[]) => unknown>;
  const originals = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const name of ["_write", "_writev"] as const) {
    const original = originals[name];
    proto[name] = function (this: Socket, ...args: unknown[]) {
      if (this.remotePort === natsPort) writes++;
      return original.apply(this, args);
    };
  }
  try {
    return { result: await run(), writes };
  } finally {
    Object.assign(proto, originals);
  }
}

describe("the bus's NATS connection", () => {
  it("sends the publishes of one callback's work in one socket write, each acknowledged", async () => {
    const subject = bus.topology.subjects.ingress("coalesce-1");
    const { writes, result } = await writesToNats(async () => {
      const acks: Array<Promise<{ seq: number; duplicate: boolean }>> = [];
      // Each publish from its own microtask, as handlers resuming one after another do.
      for (let i = 0; i < 20; i++) {
        await Promise.resolve();
        acks.push(bus.publish(subject, `m${i}`, { msgId: `coalesce-${i}` }));
      }
      return Promise.all(acks);
    });
    expect(result.map((ack) => ack.duplicate)).toEqual(Array.from({ length: 20 }, () => false));
    expect(new Set(result.map((ack) => ack.seq)).size).toBe(20);
    expect(writes).toBe(1);
  });
});

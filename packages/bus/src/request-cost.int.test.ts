import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus } from "../test/helpers.ts";
import type { Bus } from "./index.ts";

// nats-core's RequestOne, once answered, "cancelled" itself by building a RequestError — an Error with a stack
// trace — for a promise already resolved: on every publish ack and confirmed ack. The pnpm patch of
// @nats-io/nats-core (patches/, docs/decisions/0015-hot-path-costs.md) skips it; this fails when the patch
// is lost (an upgrade of nats-core without re-applying it, or a lockfile without `patchedDependencies`).
const natsCore = createRequire(import.meta.url).resolve("@nats-io/nats-core");
const errors = createRequire(natsCore)(join(dirname(natsCore), "errors.js")) as {
  RequestError: new (...args: unknown[]) => Error;
};

let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
beforeAll(async () => {
  env = await testBus("reqcost");
  bus = env.bus;
});
afterAll(() => env.cleanup());

describe("a successful publish", () => {
  it("builds no error object (and no stack trace) once JetStream has answered", async () => {
    const Original = errors.RequestError;
    let built = 0;
    errors.RequestError = class Counted extends Original {
      constructor(...args: unknown[]) {
        super(...args);
        built++;
      }
    };
    try {
      const subject = bus.topology.subjects.ingress("cost-1");
      for (let i = 0; i < 20; i++) await bus.publish(subject, "x", { msgId: `cost-${i}` });
    } finally {
      errors.RequestError = Original;
    }
    expect(built).toBe(0);
  });
});

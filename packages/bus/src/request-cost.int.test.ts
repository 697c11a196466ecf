import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus } from "../test/helpers.ts";
import type { Bus } from "./index.ts";

// nats-core's RequestOne, once answered, "cancelled" itself by building a RequestError — an Error with a stack
// trace — for a promise already resolved: on every answered request (direct gets, stream and consumer API
// calls). The pnpm patch of @nats-io/nats-core (patches/, docs/decisions/0015-hot-path-costs.md) skips it; this
// fails when the patch is lost (an upgrade of nats-core without re-applying it, or a lockfile without
// `patchedDependencies`).
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

describe("a successful request", () => {
  it("builds no error object (and no stack trace) once answered", async () => {
    // Bug caught: the patch lost. The bus's publishes no longer go through RequestOne (publish-acks.ts), its reads
    // do: the router's direct get of INGRESS per message (bus.getMessage), and the stream API's get behind it.
    const stream = bus.topology.streams.ingress;
    const { seq } = await bus.publish(bus.topology.subjects.ingress("cost-1"), "x", { msgId: "cost-1" });
    const Original = errors.RequestError;
    let built = 0;
    errors.RequestError = class Counted extends Original {
      constructor(...args: unknown[]) {
        super(...args);
        built++;
      }
    };
    const read: (string | undefined)[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const stored = await bus.getMessage(stream, seq);
        read.push(stored === null ? undefined : new TextDecoder().decode(stored.data));
      }
    } finally {
      errors.RequestError = Original;
    }
    expect(read).toEqual(Array.from({ length: 20 }, () => "x"));
    expect(built).toBe(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBus } from "../test/helpers.ts";
import { type Bus, isJetStreamNotFound } from "./index.ts";

// The real server's answers, so a client upgrade that renumbers or rewraps them fails here, not in the router.
let env: Awaited<ReturnType<typeof testBus>>;
let bus: Bus;
beforeAll(async () => {
  env = await testBus("nerr");
  bus = env.bus;
});
afterAll(() => env.cleanup());

async function failure(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected JetStream to refuse");
}

describe("isJetStreamNotFound", () => {
  it("recognises a missing stream and a missing consumer by JetStream's code, each only as itself", async () => {
    const noStream = await failure(() => bus.jsm.streams.info(`${bus.topology.streams.ingress}_GONE`));
    expect(isJetStreamNotFound(noStream, "stream")).toBe(true);
    expect(isJetStreamNotFound(noStream, "consumer")).toBe(false);
    const noConsumer = await failure(() => bus.jsm.consumers.info(bus.topology.streams.ingress, "nobody"));
    expect(isJetStreamNotFound(noConsumer, "consumer")).toBe(true);
    expect(isJetStreamNotFound(noConsumer, "stream")).toBe(false);
  });

  it("is not fooled by an error that merely says so", () => {
    expect(isJetStreamNotFound(new Error("no message found"), "message")).toBe(false);
    expect(isJetStreamNotFound(Object.assign(new Error("stream not found"), { code: 10059 }), "stream")).toBe(false);
  });

  it("reads a missing message as null, not as an error", async () => {
    expect(await bus.getMessage(bus.topology.streams.ingress, 999_999)).toBeNull();
  });
});

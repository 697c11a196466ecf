import { cleanupNamespace, sharedNatsUrl, testNamespace } from "@carehub/testkit";
import { type Bus, connectBus } from "../src/index.ts";

/** A bus on the shared NATS in a fresh namespace with its streams provisioned (short retention for tests). */
export async function testBus(prefix = "bus"): Promise<{ bus: Bus; namespace: string; cleanup(): Promise<void> }> {
  const namespace = testNamespace(prefix);
  const bus = await connectBus({ servers: sharedNatsUrl(), name: `test-${namespace}`, namespace });
  await bus.provision({ retention: { ingressMaxAgeMs: 3_600_000 } });
  return {
    bus,
    namespace,
    async cleanup() {
      await cleanupNamespace({ namespace, bus });
      await bus.drain();
    },
  };
}

/** Polls until `check` is true (or throws after `timeoutMs`). */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** A bound, not a benchmark: "guard" if `promise` has not settled within `ms`. */
export async function within(ms: number, promise: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise((resolve) => (timer = setTimeout(() => resolve("guard"), ms)));
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

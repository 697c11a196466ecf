// Test support only, reached as `@carehub/bus/testing` (never through src/index.ts, so no service ships it).
// Helpers the services' integration tests share; @carehub/testkit cannot hold them because it must not depend on the bus.
import { cleanupNamespace, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import { type Bus, connectBus } from "./index.ts";

export { testNamespace } from "@carehub/testkit";

/** A provisioned bus on the shared NATS in `namespace`. */
export async function connectTestBus(namespace: string): Promise<Bus> {
  const bus = await connectBus({ servers: sharedNatsUrl(), name: `test-${namespace}`, namespace });
  await bus.provision();
  return bus;
}

/** A client on the shared Redis. */
export function connectTestRedis(): Redis {
  return new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
}

/** Deletes the namespace's streams and Redis keys, then closes the connections. */
export async function cleanupTestNamespace(bus: Bus | undefined, redis: Redis | undefined, namespace: string) {
  await cleanupNamespace({
    namespace,
    ...(bus === undefined ? {} : { bus }),
    ...(redis === undefined ? {} : { redis }),
  });
  await bus?.drain().catch(() => undefined);
  await redis?.quit();
}

/**
 * Deletes a namespace's streams and Redis keys over connections of its own (by default to the shared NATS and
 * Redis), closed after: for a test whose hub, not the test, held the connections.
 */
export async function cleanupNamespaceAt(
  namespace: string,
  natsUrl = sharedNatsUrl(),
  redisUrl = sharedRedisUrl(),
): Promise<void> {
  const bus = await connectBus({ servers: natsUrl, name: `cleanup-${namespace}`, namespace });
  const redis = new Redis(redisUrl);
  try {
    await cleanupNamespace({ namespace, bus, redis });
  } finally {
    await bus.drain();
    redis.disconnect();
  }
}

/** A private namespace on the shared NATS and Redis for one test file; `close()` deletes what it made. */
export interface TestNamespace {
  namespace: string;
  bus: Bus;
  redis: Redis;
  close(): Promise<void>;
}

export async function openTestNamespace(prefix: string): Promise<TestNamespace> {
  const namespace = testNamespace(prefix);
  const bus = await connectTestBus(namespace);
  const redis = connectTestRedis();
  return {
    namespace,
    bus,
    redis,
    close: async () => {
      await cleanupNamespace({ namespace, bus, redis });
      await bus.drain();
      redis.disconnect();
    },
  };
}

/** Polls `probe` every 20 ms until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What reaches a socket itself, below any write coalescing (docs/decisions/0098): one entry per write the socket
 * makes from now on, with the bytes written.
 */
export function socketWrites(socket: unknown): string[] {
  const stream = socket as {
    _write(chunk: unknown, encoding: unknown, done: unknown): void;
    _writev?(chunks: Array<{ chunk: unknown }>, done: unknown): void;
  };
  const seen: string[] = [];
  const write = stream._write.bind(stream);
  stream._write = (chunk, encoding, done) => {
    seen.push(Buffer.from(chunk as string | Uint8Array).toString());
    write(chunk, encoding, done);
  };
  const writev = stream._writev?.bind(stream);
  if (writev !== undefined) {
    stream._writev = (chunks, done) => {
      seen.push(chunks.map((c) => Buffer.from(c.chunk as string | Uint8Array).toString()).join(""));
      writev(chunks, done);
    };
  }
  return seen;
}

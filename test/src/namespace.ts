import { connectBus } from "@carehub/bus";
import { cleanupNamespace, sharedNatsUrl, sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";

/** Deletes a hub namespace's streams and Redis keys on the shared NATS and Redis (opens and closes its own connections). */
export async function cleanupHubNamespace(namespace: string): Promise<void> {
  const bus = await connectBus({ servers: sharedNatsUrl(), name: `cleanup-${namespace}`, namespace });
  const redis = new Redis(sharedRedisUrl());
  try {
    await cleanupNamespace({ namespace, bus, redis });
  } finally {
    await bus.drain();
    redis.disconnect();
  }
}

import { sharedNatsUrl, sharedRedisUrl } from "@carehub/testkit";
import { cleanupHubNamespace as cleanup } from "@carehub/testkit-hub";

/** Deletes a hub namespace's streams and Redis keys on the shared NATS and Redis (opens and closes its own connections). */
export function cleanupHubNamespace(namespace: string): Promise<void> {
  return cleanup(namespace, sharedNatsUrl(), sharedRedisUrl());
}

// vitest globalSetup (vitest.config.ts): one NATS and one Redis for the whole run, before any worker starts.
import { provideTestServers } from "./test-servers.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const servers = await provideTestServers();
  return () => servers.stop();
}

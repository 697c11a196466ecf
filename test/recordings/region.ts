/**
 * The simulated region the committed recordings were made in (test/recordings/generate.ts) and are replayed
 * into (test/recordings.e2e.test.ts): the simulator's small region, drawn from a fixed seed, so both build the
 * same endpoints, rules and hub identity.
 */
import { buildScenarioRegistry, buildWorld, type Scenario, smallScenario } from "@carehub/simulator";
import { registryHubOptions, type TestHubOptions } from "@carehub/testkit-hub";

export const REGION_SEED = "test-recordings-1";

export function recordingScenario(): Scenario {
  const scenario = smallScenario({ ackTimeoutSeconds: 86_400 });
  // One practice sends some broken messages, so the recording holds rejections as well as deliveries.
  const sender = buildWorld(scenario, REGION_SEED).byRole.practice[0]?.id ?? "";
  return { ...scenario, misbehaviour: [{ type: "invalid", endpoint: sender, probability: 0.25 }] };
}

export function recordingRegion(): ReturnType<typeof buildScenarioRegistry> {
  return buildScenarioRegistry(recordingScenario(), { seed: REGION_SEED });
}

/** A test hub with the region's endpoints (each a webhook receiver answering 200), rules and hub identity. */
export function recordingHubOptions(): Pick<TestHubOptions, "endpoints" | "rules" | "hub"> {
  return registryHubOptions(recordingRegion().registry);
}

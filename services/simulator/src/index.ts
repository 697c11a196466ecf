export {
  type DemoHub,
  type DemoHubStarter,
  type DemoOptions,
  type DemoResult,
  demoNamespace,
  runDemo,
} from "./demo.ts";
export { type EventTally, emptyTally, statusCounts, tallyEvent } from "./event-tally.ts";
export {
  isVerhoeffValid,
  makeGln,
  makeSor,
  makeSyntheticCpr,
  makeYdernummer,
} from "./identities.ts";
export { createPacer, type Pacer, type PacerOptions } from "./pacer.ts";
export { createPlanner, type PlannedMessage, type Planner, type PlannerOptions, planMessages } from "./planner.ts";
export { createRandom, hash32, type Random } from "./random.ts";
export { endpointOf, type Reaction, reactionsTo } from "./reactions.ts";
export {
  type ActionMix,
  DEFAULT_BEHAVIOUR,
  DEFAULT_MIX,
  demoMisbehaviour,
  demoScenario,
  type Misbehaviour,
  ROLE_KINDS,
  type Scenario,
  type ScenarioBehaviour,
  type SimRole,
  smallScenario,
} from "./scenario.ts";
export {
  buildScenarioRegistry,
  DEMO_OPERATOR_ID,
  type ScenarioRegistry,
  type ScenarioRegistryOptions,
  sha256Hex,
} from "./scenario-registry.ts";
export { createSimulation, type Simulation, type SimulationOptions } from "./simulation.ts";
export { emptyStats, type SimulationStats } from "./stats.ts";
export { renderSummary, type SummaryInput } from "./summary.ts";
export { buildWorld, type SimEndpoint, type SimPatient, type SimWorld } from "./world.ts";

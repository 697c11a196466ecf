export { carryOutEffects, type EffectDeps } from "./effects.ts";
export { type EnvelopeFoldDeps, foldEnvelope } from "./envelope-handler.ts";
export { foldEvent } from "./event-handler.ts";
export { type RebuildDeps, type RebuildProgress, type RebuildReport, rebuildReadModel } from "./rebuild.ts";
export {
  createReadModel,
  type ReadModelDeps,
  type RunningTracker,
  startTracker,
  TRACKER_CONSUMERS,
  type TrackerDeps,
} from "./start-tracker.ts";
export { entityUpdatesFor, type PartyResolver, subjectOf } from "./status-facts.ts";
export { buildStatusReturn, statusAnnouncement } from "./status-return.ts";
export {
  DEFAULT_STALE_LIMITS,
  DEFAULT_TRACKER_OPTIONS,
  parseTrackerOptions,
  TRACKER_ENV,
  type TrackerOptions,
} from "./tracker-options.ts";

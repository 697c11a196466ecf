export { type CliCommand, parseCliArgs } from "./cli-args.ts";
export { commandHelp, usage } from "./cli-spec.ts";
export { HUB_NODE_FLAGS, missingNodeEnv, missingNodeFlags } from "./node-flags.ts";
export { type OpsServer, startOpsServer } from "./ops-server.ts";
export {
  type CaptureProgress,
  captureRecording,
  outcomeOf,
  type RecordSelection,
  writeRecording,
} from "./record-command.ts";
export {
  linesOf,
  openRecordingFile,
  parseRecording,
  type Recording,
  type RecordingFile,
  RecordingFormatError,
  type RecordingSource,
  readRecording,
  recordingLine,
} from "./recording-file.ts";
export { createRedisClient } from "./redis-connection.ts";
export {
  type ReplayDifference,
  type ReplayOptions,
  type ReplayReport,
  replayLine,
  replayRecording,
  sameOutcome,
} from "./replay-command.ts";
export { type CliIo, runCli } from "./run-cli.ts";
export {
  isServiceName,
  type RunningService,
  SERVICE_NAMES,
  SERVICE_STARTERS,
  type ServiceDeps,
  type ServiceName,
} from "./service-catalogue.ts";
export { PROCESS_ENV_VARIABLES, parseServiceSettings, type ServiceSettings } from "./service-settings.ts";
export { START_BUNDLE_ENTRY, START_BUNDLE_OPS_LISTENER, startBundleState } from "./start-bundle.ts";
export { openConnections, type RunningHub, type StartHubOptions, startHub } from "./start-hub.ts";

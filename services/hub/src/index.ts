export { type CliCommand, parseCliArgs, USAGE } from "./cli-args.ts";
export { type CliIo, runCli } from "./run-cli.ts";
export {
  isServiceName,
  type RunningService,
  SERVICE_NAMES,
  type ServiceDeps,
  type ServiceName,
} from "./service-catalogue.ts";
export { openConnections, type RunningHub, type StartHubOptions, startHub } from "./start-hub.ts";

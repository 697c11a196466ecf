import { randomBytes } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { flushCompileCache } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
// What only one command needs (a service, the simulator, the formats) is imported in that command's branch: every
// `carehub start` process goes through here and should load only the services it runs (service-catalogue.ts).
import { type Bus, connectHubBus, hubProvisionOptions } from "@carehub/bus";
import { MessageLedger } from "@carehub/ledger";
import { createLogger, type Logger } from "@carehub/observability";
import { loadRegistryFile } from "@carehub/registry";
import { ConfigError, type HubConfig, parseHubConfig } from "@carehub/schemas";
import { createStore } from "@carehub/store";
import { parseTrackerOptions } from "@carehub/tracker/settings";
import type { Redis } from "ioredis";
import { runAuditCommand } from "./audit-command.ts";
import { type CliCommand, parseCliArgs } from "./cli-args.ts";
import { auditLine, printerFor, runValidate, runValidateSummary } from "./cli-output.ts";
import { closest, commandHelp, usage } from "./cli-spec.ts";
import { confirmRebuild } from "./confirm.ts";
import { runDlqList } from "./dlq-command.ts";
import { printEndpoints } from "./endpoints-command.ts";
import { progressLine } from "./progress-line.ts";
import { queryTarget, runMessagesList, runMessagesShow, runStats } from "./query-commands.ts";
import { openRecordingFile, type RecordingFile, RecordingFormatError } from "./recording-file.ts";
import { SERVICE_NAMES } from "./service-catalogue.ts";
import { parseServiceSettings, type ServiceSettings } from "./service-settings.ts";
import { openConnections, startHub } from "./start-hub.ts";
import { releaseStartUpMemory } from "./start-up-memory.ts";
import { runMessagesTail } from "./tail-command.ts";

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  /** Progress lines (rebuild, redrive) are written here when it is a terminal, or with --progress. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Resolves when the process is asked to stop (SIGINT / SIGTERM). */
  stopRequested: Promise<void>;
  /** Aborted when the process is asked to stop. */
  stopSignal: AbortSignal;
  /** Where `rebuild` asks for confirmation; without one (or not a terminal) it needs --yes. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** The version of the carehub release (the repository's package.json). */
export function carehubVersion(): string {
  const text = readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
  return String((JSON.parse(text) as { version?: unknown }).version);
}

/**
 * Runs `work` with the hub's NATS and Redis connections (named `name` on the server), closing both afterwards
 * whatever happens: the one place a one-shot CLI command opens and closes them.
 */
async function withConnections<T>(
  config: HubConfig,
  logger: Logger,
  name: string,
  work: (connections: { bus: Bus; redis: Redis }) => Promise<T>,
): Promise<T> {
  const { bus, redis } = await openConnections(config, logger, name);
  try {
    return await work({ bus, redis });
  } finally {
    await bus.drain();
    redis.disconnect();
  }
}

/** Runs one `carehub` command and resolves with the process exit code. Never calls process.exit. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCliArgs(argv);
  if ("error" in parsed) {
    const help = parsed.topic === undefined ? usage() : commandHelp(parsed.topic);
    io.stderr.write(`carehub: ${parsed.error}\n\n${help}\n`);
    return 2;
  }
  if (parsed.command === "help") {
    io.stdout.write(`${parsed.topic === undefined ? usage() : commandHelp(parsed.topic)}\n`);
    return 0;
  }
  if (parsed.command === "version") {
    io.stdout.write(`${carehubVersion()}\n`);
    return 0;
  }
  if (parsed.command === "validate") {
    const options = { stdout: io.stdout, stderr: io.stderr, json: parsed.json === true };
    return parsed.summary === true ? runValidateSummary(parsed.args, options) : runValidate(parsed.args, options);
  }
  if (parsed.command === "messages-list" || parsed.command === "messages-show" || parsed.command === "stats") {
    return runQueryCommand(parsed, io);
  }
  if (
    parsed.command === "incidents-list" ||
    parsed.command === "incidents-open" ||
    parsed.command === "incidents-close"
  ) {
    const { runIncidentsCommand } = await import("./incidents-command.ts");
    return runIncidentsCommand(parsed, io.env, { stdout: io.stdout, stderr: io.stderr, json: parsed.json === true });
  }
  let config: HubConfig;
  try {
    config = parseHubConfig(io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`carehub: ${error.message}\n`);
    return 2;
  }
  return runWithConfig(parsed, config, io);
}

/** The commands that ask the running hub's query API: no NATS or Redis, only its URL and a token. */
async function runQueryCommand(
  command: Extract<CliCommand, { command: "messages-list" | "messages-show" | "stats" }>,
  io: CliIo,
): Promise<number> {
  const target = queryTarget(command, io.env);
  if ("error" in target) {
    io.stderr.write(`carehub: ${target.error}\n`);
    return 2;
  }
  const queryIo = { stdout: io.stdout, stderr: io.stderr, json: command.json === true };
  if (command.command === "messages-show") return runMessagesShow(target, command.hubId, queryIo);
  if (command.command === "messages-list") return runMessagesList(target, command.filter, queryIo);
  return runStats(target, queryIo);
}

async function runWithConfig(
  command: Exclude<
    CliCommand,
    {
      command:
        | "help"
        | "validate"
        | "version"
        | "messages-list"
        | "messages-show"
        | "stats"
        | "incidents-list"
        | "incidents-open"
        | "incidents-close";
    }
  >,
  config: HubConfig,
  io: CliIo,
): Promise<number> {
  // Logs go to stderr, always: stdout carries only the command's output.
  const logger = createLogger({ name: "carehub", level: config.logLevel, destination: io.stderr });
  const print = printerFor(io.stdout, command.json === true);
  switch (command.command) {
    case "start": {
      let settings: ServiceSettings;
      try {
        settings = parseServiceSettings(io.env, config);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.stderr.write(`carehub: ${error.message}\n`);
        return 2;
      }
      let hub: Awaited<ReturnType<typeof startHub>>;
      try {
        // Waits for NATS and Redis when they are not up yet (CAREHUB_START_TIMEOUT_MS), /readyz saying so.
        hub = await startHub({
          config,
          services: command.services,
          logger,
          settings,
          opsServer: true,
          releaseStartUpMemory: true,
          waitForConnections: true,
          signal: io.stopSignal,
        });
      } catch (error) {
        if (io.stopSignal.aborted) return 0; // asked to stop while waiting: nothing was running yet
        throw error;
      }
      io.stdout.write(
        `carehub running (namespace ${config.namespace}): ${hub.services.join(", ") || "no services"}` +
          `; ops ${hub.opsUrl ?? "-"} (/healthz, /readyz, /metrics)` +
          `${hub.url === undefined ? "" : `; gateway ${hub.url} (OpenAPI: ${hub.url}/openapi.json)`}\n`,
      );
      // Every module is loaded: write node's compile cache (node-flags.ts) now, not only at a clean exit, so that
      // a process killed later still leaves the next start a warm cache. Without a cache this does nothing.
      flushCompileCache();
      // And give back what only starting needed (start-up-memory.ts).
      releaseStartUpMemory();
      await io.stopRequested;
      io.stdout.write("carehub stopping: draining every service\n");
      await hub.stop();
      return 0;
    }
    case "provision": {
      const bus = await connectHubBus(config, { name: "carehub-provision", logger, provision: false });
      try {
        const report = await bus.provision(hubProvisionOptions(config));
        print.result(report, `provisioned the JetStream streams of namespace ${config.namespace}`);
        return 0;
      } finally {
        await bus.drain();
      }
    }
    case "redrive": {
      return withConnections(config, logger, "carehub-redrive", async ({ bus }) => {
        const progress = progressLine({ stderr: io.stderr, requested: command.progress === true });
        const { redriveDeadLetters } = await import("@carehub/dispatcher");
        const report = await redriveDeadLetters(bus, {
          ...(command.stage === undefined ? {} : { stage: command.stage }),
          ...(command.endpoint === undefined ? {} : { endpoint: command.endpoint }),
          ...(command.limit === undefined ? {} : { limit: command.limit }),
          onProgress: ({ examined, redriven, total }) =>
            progress.update(
              `carehub redrive: ${redriven} redriven, ${examined}/${total} dead letter(s) looked at`,
              examined >= total || redriven === command.limit,
            ),
        });
        progress.end();
        print.result(
          report,
          `redrove ${report.redriven} dead letter(s) from stage ${command.stage ?? "dispatcher"}` +
            `${report.hubIds.length === 0 ? "" : `: ${report.hubIds.join(", ")}`}`,
        );
        return 0;
      });
    }
    case "rebuild": {
      if (command.yes !== true && !(await confirmRebuild(config.namespace, io))) return 2;
      const registry = await loadRegistryFile(config.registryPath);
      return withConnections(config, logger, "carehub-rebuild", async ({ bus, redis }) => {
        // The store as the tracker writes it (acknowledgement timers from the registry, the tracker's stale
        // limits): a plain store would rebuild every record but no timer, and no overdue would ever be flagged.
        const { createReadModel, rebuildReadModel } = await import("@carehub/tracker");
        const store = createReadModel({
          redis,
          config,
          registry,
          staleLimits: parseTrackerOptions(io.env).staleLimits,
        });
        const progress = progressLine({ stderr: io.stderr, requested: command.progress === true });
        const report = await rebuildReadModel({
          bus,
          store,
          registry,
          logger,
          onProgress: ({ phase, done, total }) =>
            progress.update(`carehub rebuild: ${phase} ${done}/${total}`, done >= total),
        });
        progress.end();
        print.result(
          report,
          `rebuilt the read model of namespace ${config.namespace}: dropped ${report.keysDropped} key(s), ` +
            `folded ${report.envelopes} envelope(s) and ${report.events} event(s), skipped ${report.skipped}, ` +
            `in ${report.durationMs} ms`,
        );
        return 0;
      });
    }
    case "endpoints-list":
      return printEndpoints(await loadRegistryFile(config.registryPath), {
        stdout: io.stdout,
        json: command.json === true,
      });
    case "endpoints-check": {
      const registry = await loadRegistryFile(config.registryPath);
      const endpoints = registry.endpoints();
      const chosen = command.endpoint === undefined ? endpoints : endpoints.filter((e) => e.id === command.endpoint);
      if (chosen.length === 0) {
        const suggestion =
          command.endpoint === undefined
            ? undefined
            : closest(
                command.endpoint,
                endpoints.map((e) => e.id),
              );
        io.stderr.write(
          `carehub: ${command.endpoint === undefined ? "the registry has no endpoints" : "no such endpoint in the registry"}${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}\n`,
        );
        return 2;
      }
      return withConnections(config, logger, "carehub-endpoints-check", async ({ bus, redis }) => {
        const store = cliStore(config, redis);
        const { printEndpointChecks } = await import("./endpoints-check.ts");
        return await printEndpointChecks(chosen, { bus, redis, store }, { ...io, json: command.json === true });
      });
    }
    case "messages-tail":
      return runMessagesTail(
        command.filter,
        {
          ...(command.count === undefined ? {} : { count: command.count }),
          ...(command.forMs === undefined ? {} : { forMs: command.forMs }),
        },
        config,
        logger,
        { stdout: io.stdout, stderr: io.stderr, json: command.json === true, stopSignal: io.stopSignal },
      );
    case "dlq-list":
      return runDlqList(
        {
          ...(command.stage === undefined ? {} : { stage: command.stage }),
          ...(command.endpoint === undefined ? {} : { endpoint: command.endpoint }),
          ...(command.limit === undefined ? {} : { limit: command.limit }),
        },
        config,
        logger,
        { json: command.json === true, stdout: io.stdout, stderr: io.stderr },
      );
    case "nats-config": {
      // bcryptjs is needed by this command alone.
      const { runNatsConfigCommand } = await import("./nats-config-command.ts");
      return runNatsConfigCommand(command, config, io);
    }
    case "replay": {
      let recording: RecordingFile;
      try {
        // One pass checks every line before anything is stored; the replay reads the file again as it goes.
        recording = await openRecordingFile(command.file);
      } catch (error) {
        if (!(error instanceof RecordingFormatError)) throw error;
        io.stderr.write(`carehub: ${error.code}: ${error.message}\n`);
        return 2;
      }
      return withConnections(config, logger, "carehub-replay", async ({ bus, redis }) => {
        const store = cliStore(config, redis);
        const ledger = cliLedger(config, redis);
        const source = { header: recording.header, messages: recording.messages() };
        const { replayLine, replayRecording } = await import("./replay-command.ts");
        const report = await replayRecording({ bus, ledger, lookup: (hubId) => store.getMessage(hubId) }, source, {
          ...(command.pace === undefined ? {} : { pace: command.pace }),
          ...(command.timeoutMs === undefined ? {} : { timeoutMs: command.timeoutMs }),
        });
        print.result(report, replayLine(report));
        return report.differences.length === 0 ? 0 : 1;
      });
    }
    case "record": {
      return withConnections(config, logger, "carehub-record", async ({ bus, redis }) => {
        const file = command.out === undefined ? undefined : createWriteStream(command.out);
        try {
          const store = cliStore(config, redis);
          const { writeRecording } = await import("./record-command.ts");
          await writeRecording(
            { bus, ledger: cliLedger(config, redis), lookup: (hubId) => store.getMessage(hubId) },
            {
              ...(command.from === undefined ? {} : { from: new Date(command.from) }),
              ...(command.to === undefined ? {} : { to: new Date(command.to) }),
              ...(command.endpoint === undefined ? {} : { endpoint: command.endpoint }),
              ...(command.kind === undefined ? {} : { kind: command.kind }),
              ...(command.limit === undefined ? {} : { limit: command.limit }),
            },
            { output: file ?? io.stdout, stderr: io.stderr },
            // A fresh key each run, never stored: nobody can map the synthetic patients back.
            command.anonymise === true ? { anonymiseKey: randomBytes(32) } : {},
          );
          return 0;
        } finally {
          if (file !== undefined)
            await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
        }
      });
    }
    case "audit":
      return runAuditCommand(
        {
          ...(command.since === undefined
            ? {}
            : {
                since: "at" in command.since ? new Date(command.since.at) : new Date(Date.now() - command.since.agoMs),
              }),
          ...(command.actor === undefined ? {} : { actor: command.actor }),
          ...(command.action === undefined ? {} : { action: command.action }),
          ...(command.resource === undefined ? {} : { resource: command.resource }),
          ...(command.limit === undefined ? {} : { limit: command.limit }),
        },
        config,
        logger,
        { ...io, print: (record) => print.result(record, auditLine(record)) },
      );
    case "demo": {
      const { runDemo } = await import("@carehub/simulator");
      await runDemo({
        startHub: async ({ registry, config: demoConfig }) => {
          // The hub's warnings go to a file: on the terminal they would tear through the live summary.
          const logFile = join(tmpdir(), `carehub-demo-${demoConfig.namespace}.log`);
          const log = createWriteStream(logFile, { flags: "a" });
          const closeLog = () => new Promise<void>((resolve) => log.end(() => resolve()));
          try {
            // Every service, the console too (on CAREHUB_CONSOLE_PORT, default 8090), with the settings from the
            // environment as `carehub start` reads them.
            const hub = await startHub({
              config: demoConfig,
              registry,
              services: [...SERVICE_NAMES],
              settings: parseServiceSettings(io.env, demoConfig),
              logger: createLogger({ name: "carehub", level: "warn", destination: log }),
            });
            if (hub.url === undefined) throw new Error("the demo needs the gateway");
            return {
              url: hub.url,
              ...(hub.consoleUrl === undefined ? {} : { consoleUrl: hub.consoleUrl }),
              logFile,
              stop: async () => {
                await hub.stop();
                await closeLog();
              },
            };
          } catch (error) {
            await closeLog();
            throw error;
          }
        },
        env: io.env,
        output: io.stdout,
        signal: io.stopSignal,
        misbehave: command.misbehave,
        ...(command.seed === undefined ? {} : { seed: command.seed }),
        ...(command.rate === undefined ? {} : { rate: command.rate }),
        ...(command.durationMs === undefined ? {} : { durationMs: command.durationMs }),
        ...(command.ackTimeoutSeconds === undefined ? {} : { ackTimeoutSeconds: command.ackTimeoutSeconds }),
      });
      return 0;
    }
  }
}

/**
 * The ledger as record and replay use it: only to derive hub ids (`hubIdOf`), which never names the hub's own
 * endpoint, so the registry (and its hub id) is not read for it.
 */
/** The read model as the CLI's commands read it: the hub's namespace, retention and patient-hash key. */
function cliStore(config: HubConfig, redis: Redis): ReturnType<typeof createStore> {
  return createStore({
    redis,
    namespace: config.namespace,
    retentionDays: config.retentionDays,
    patientHashKey: config.patientHashKey,
  });
}

function cliLedger(config: HubConfig, redis: Redis): MessageLedger {
  return new MessageLedger({
    redis,
    namespace: config.namespace,
    retentionDays: config.retentionDays,
    hubEndpointId: "carehub",
  });
}

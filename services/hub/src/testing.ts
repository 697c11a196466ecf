// For tests that run the `carehub` command in their own process (`@carehub/hub/testing`): one way to give it an
// environment and collect what it prints, instead of each test wiring streams of its own.
import { PassThrough } from "node:stream";
import { sharedNatsUrl, sharedRedisUrl } from "@carehub/testkit";
import { type CliIo, runCli } from "./run-cli.ts";

/** What a command run printed, and its exit code. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** A CliIo whose stdout and stderr are collected as text (not a terminal); the process is never asked to stop. */
export function collectingCliIo(env: CliIo["env"] = {}): { io: CliIo; out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  return {
    io: { env, stdout, stderr, stopRequested: new Promise<void>(() => {}), stopSignal: new AbortController().signal },
    out: () => out,
    err: () => err,
  };
}

/** Runs `carehub <argv>` in this process with `env`; its exit code and what it printed. */
export async function runCliCollected(argv: readonly string[], env: CliIo["env"] = {}): Promise<CliRun> {
  const run = collectingCliIo(env);
  const code = await runCli(argv, run.io);
  return { code, out: run.out(), err: run.err() };
}

/** The environment of a command against the hub of `namespace` on the testkit's shared NATS and Redis. */
export function sharedHubEnv(namespace: string): CliIo["env"] {
  return { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), CAREHUB_NAMESPACE: namespace, LOG_LEVEL: "warn" };
}

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `carehub` command's entry point, run with this Node as a child process (as an operator runs it). */
export const CAREHUB_CLI = fileURLToPath(new URL("../../services/hub/src/cli.ts", import.meta.url));

/** What a `carehub` child process printed, and its exit code (-1 when it was killed, e.g. after the timeout). */
export interface CarehubRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `carehub <args>` as a child process with exactly `env` (callers spread process.env when they mean to) and
 * stdin closed; resolves when it exits or after 60 s. Never rejects: the code says how it ended.
 */
export function runCarehub(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CarehubRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CAREHUB_CLI, ...args],
      { env, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

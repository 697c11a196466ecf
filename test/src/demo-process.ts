import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { sharedNatsUrl, sharedRedisUrl } from "@carehub/testkit";

const cli = fileURLToPath(new URL("../../services/hub/src/cli.ts", import.meta.url));

/** `carehub demo` running as a user runs it: the real CLI in a child process, in `namespace` on the shared NATS and Redis. */
export interface DemoProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function startDemoProcess(namespace: string, args: string[]): DemoProcess {
  const child = spawn(process.execPath, [cli, "demo", ...args], {
    env: {
      ...process.env,
      NATS_URL: sharedNatsUrl(),
      REDIS_URL: sharedRedisUrl(),
      CAREHUB_NAMESPACE: namespace,
      CAREHUB_HTTP_PORT: "0",
      CAREHUB_CONSOLE_PORT: "0",
      // As for every hub process the tests start (service-process.ts): a busy test machine must not make the
      // demo's gateway shed load for event-loop lag (decision 0057) while a test counts on its answers.
      CAREHUB_MAX_EVENT_LOOP_LAG_MS: "0",
      LOG_LEVEL: "error",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
  };
}

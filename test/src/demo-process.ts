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
      // The test profile, as for every hub process the tests start (service-process.ts).
      CAREHUB_PROFILE: "test",
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

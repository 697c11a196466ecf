/** Node child processes of a bench run, with an IPC channel, and the servers this process started. */
import { type ChildProcess, fork } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** The next IPC message satisfying `accept`. */
  next<T>(accept: (message: unknown) => message is T, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function startChild(
  name: string,
  script: URL,
  args: string[],
  options: { env?: Record<string, string>; execArgv?: string[] } = {},
): Promise<Child> {
  const child = fork(script, args, {
    env: { ...process.env, ...options.env },
    execArgv: options.execArgv ?? [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Messages that arrived before anyone asked for them (a child may answer before the caller listens).
  const early: unknown[] = [];
  child.on("message", (message) => early.push(message));
  const next = <T>(accept: (message: unknown) => message is T, timeoutMs = 60_000) =>
    new Promise<T>((resolve, reject) => {
      const index = early.findIndex(accept);
      if (index >= 0) {
        resolve(early.splice(index, 1)[0] as T);
        return;
      }
      const timer = setTimeout(() => reject(new Error(`${name}: no answer within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (message: unknown) => {
        if (!accept(message)) return;
        early.splice(early.indexOf(message), 1);
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message);
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before answering`));
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  return {
    name,
    process: child,
    pid: child.pid,
    next,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.send("stop");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const isText =
  (text: string) =>
  (message: unknown): message is string =>
    message === text;

/** Direct children of this process whose command line contains `needle` (nats-server, redis-server). */
export function childPids(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

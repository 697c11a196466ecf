import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestkitStartError } from "./errors.ts";

/**
 * Every process and temporary directory the testkit starts, so that they go away with the test process
 * even when a test fails before its afterAll: an `exit` hook SIGKILLs the children and removes the dirs.
 */
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

export function makeTempDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * The processes whose parent is `pid` (Linux: every /proc/<pid>/stat read for its ppid), with their command names.
 * Not /proc/<pid>/task/<pid>/children: that lists only the children of the main thread (a worker thread's are in
 * its own task's file), and the kernel documents it as reliable only while the children are stopped.
 */
export function childProcesses(pid: number): { pid: number; comm: string }[] {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after its last closing parenthesis.
    const close = stat.lastIndexOf(")");
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    if (ppid === pid) found.push({ pid: Number(entry), comm: stat.slice(stat.indexOf("(") + 1, close) });
  }
  return found;
}

/** A free TCP port on loopback (the kernel picks it; a tiny race with other processes remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The first executable of `candidates` (absolute paths), else `name` to be found on PATH. */
export function binary(name: string, candidates: readonly string[]): string {
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there; try the next
    }
  }
  return name;
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  /** The last lines the process wrote to stdout/stderr (for error messages). */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

/** Spawns a tracked server process, keeping a short tail of its output. */
export function spawnTracked(command: string, args: readonly string[]): ManagedProcess {
  installExitHook();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const tail: string[] = [];
  const keep = (chunk: Buffer): void => {
    tail.push(chunk.toString("utf8"));
    if (tail.length > 40) tail.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      children.delete(child);
      resolve();
    });
    child.once("error", (error) => {
      tail.push(String(error));
      children.delete(child);
      resolve();
    });
  });
  return { child, output: () => tail.join(""), exited };
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(process_: ManagedProcess, graceMs = 5_000): Promise<void> {
  if (!running(process_.child)) return process_.exited;
  process_.child.kill("SIGTERM");
  const timer = setTimeout(() => process_.child.kill("SIGKILL"), graceMs);
  await process_.exited;
  clearTimeout(timer);
}

export async function killHard(process_: ManagedProcess): Promise<void> {
  if (!running(process_.child)) return process_.exited;
  process_.child.kill("SIGKILL");
  await process_.exited;
}

/** Polls `check` until it returns true; fails with the process output after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  process_: ManagedProcess | undefined,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (process_ !== undefined && !running(process_.child)) {
      throw new TestkitStartError(`${what} exited while starting:\n${process_.output()}`);
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new TestkitStartError(
    `${what} not ready after ${timeoutMs} ms${lastError ? ` (${String(lastError)})` : ""}:\n${process_?.output() ?? ""}`,
    { cause: lastError },
  );
}

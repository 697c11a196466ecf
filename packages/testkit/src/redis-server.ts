import { connect as tcpConnect } from "node:net";
import {
  binary,
  freePort,
  killHard,
  type ManagedProcess,
  makeTempDir,
  removeTempDir,
  spawnTracked,
  terminate,
  waitUntil,
} from "./processes.ts";

export interface RedisServerOptions {
  port?: number;
  /** Append-only file persistence (survives kill + restart); default false. RDB snapshots are always off. */
  appendonly?: boolean;
  /** Default: a temporary directory, removed by stop(). */
  dir?: string;
  args?: string[];
  binary?: string;
}

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Graceful stop and cleanup of a temporary dir. Final. */
  stop(): Promise<void>;
  /** SIGKILL, keeping the dir. */
  kill(): Promise<void>;
  /** Starts again on the same port and dir. */
  restart(): Promise<void>;
}

/** Resolves true when the server answers PING with PONG. */
export function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (chunk) => done(chunk.toString("utf8").startsWith("+PONG")));
    socket.once("error", () => done(false));
  });
}

/** A private redis-server on a free loopback port. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = options.port ?? (await freePort());
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? makeTempDir("carehub-redis-");
  const command =
    options.binary ??
    binary("redis-server", ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]);
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    options.appendonly ? "yes" : "no",
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--protected-mode",
    "no",
    ...(options.args ?? []),
  ];
  let proc: ManagedProcess | undefined;
  const start = async (): Promise<void> => {
    proc = spawnTracked(command, args);
    await waitUntil(`redis-server on port ${port}`, () => redisAnswers(port), proc);
  };
  const handle: RedisServerHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (proc !== undefined) await terminate(proc);
      if (ownsDir) removeTempDir(dir);
    },
    async kill() {
      if (proc !== undefined) await killHard(proc);
    },
    async restart() {
      if (proc !== undefined) await terminate(proc);
      await start();
    },
  };
  try {
    await start();
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

import { existsSync } from "node:fs";
import { request } from "node:http";
import { TestkitNoDockerError } from "./errors.ts";

const DEFAULT_SOCKET = "/var/run/docker.sock";

type Target = { socketPath: string } | { host: string; port: number };

function dockerTarget(): Target | undefined {
  const host = process.env.DOCKER_HOST;
  if (host !== undefined && host !== "") {
    if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
    if (host.startsWith("tcp://") || host.startsWith("http://")) {
      const url = new URL(host.replace(/^tcp:/, "http:"));
      return { host: url.hostname, port: Number(url.port || 2375) };
    }
    return undefined; // ssh:// and friends: not pinged here
  }
  return existsSync(DEFAULT_SOCKET) ? { socketPath: DEFAULT_SOCKET } : undefined;
}

/**
 * True only when a Docker engine answers `GET /_ping` within `timeoutMs`. A docker CLI without a daemon,
 * a missing socket or a dead DOCKER_HOST all give false quickly (nothing here can hang).
 */
export function dockerAvailable(timeoutMs = 1_500): Promise<boolean> {
  const target = dockerTarget();
  if (target === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      req.destroy();
      resolve(false);
    }, timeoutMs);
    const req = request({ ...target, path: "/_ping", method: "GET" }, (res) => {
      res.resume();
      clearTimeout(timer);
      resolve(res.statusCode === 200);
    });
    req.on("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    req.end();
  });
}

export interface ContainerHandle {
  readonly url: string;
  stop(): Promise<void>;
}

/** nats-server (JetStream on) in a container; only where a Docker engine answers, else TestkitNoDockerError. */
export async function startNatsContainer(options: { image?: string } = {}): Promise<ContainerHandle> {
  if (!(await dockerAvailable())) throw new TestkitNoDockerError("startNatsContainer");
  // Loaded only here: testcontainers probes for a runtime on import paths we never want to touch without one.
  const { GenericContainer, Wait } = await import("testcontainers");
  const container = await new GenericContainer(options.image ?? "nats:2.9.10")
    .withCommand(["-js"])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  return {
    url: `nats://${container.getHost()}:${container.getMappedPort(4222)}`,
    async stop() {
      await container.stop();
    },
  };
}

/** redis-server in a container; only where a Docker engine answers, else TestkitNoDockerError. */
export async function startRedisContainer(options: { image?: string } = {}): Promise<ContainerHandle> {
  if (!(await dockerAvailable())) throw new TestkitNoDockerError("startRedisContainer");
  const { GenericContainer, Wait } = await import("testcontainers");
  const container = await new GenericContainer(options.image ?? "redis:7")
    .withCommand(["redis-server", "--save", "", "--appendonly", "no"])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  return {
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    async stop() {
      await container.stop();
    },
  };
}

import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dockerAvailable, startNatsContainer, startRedisContainer } from "./docker.ts";
import { freePort } from "./processes.ts";

const saved = process.env.DOCKER_HOST;
let fakeEngine: Server | undefined;
afterEach(async () => {
  if (saved === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = saved;
  await new Promise<void>((resolve) => (fakeEngine ? fakeEngine.close(() => resolve()) : resolve()));
  fakeEngine = undefined;
});

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

describe("dockerAvailable", () => {
  it("is false on this machine, where the docker client exists but no engine runs, and answers at once", async () => {
    // This host has no /var/run/docker.sock; DOCKER_HOST pointing at a dead socket must not change that.
    process.env.DOCKER_HOST = `unix://${join(tmpdir(), "carehub-no-docker.sock")}`;
    const { value, ms } = await timed(() => dockerAvailable());
    expect(value).toBe(false);
    expect(ms).toBeLessThan(3_000);
  });

  it("is false when DOCKER_HOST is a TCP port nobody listens on", async () => {
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${await freePort()}`;
    expect(await dockerAvailable()).toBe(false);
  });

  it("is true when an engine answers /_ping (a fake one here)", async () => {
    const port = await freePort();
    fakeEngine = createServer((req, res) => {
      res.statusCode = req.url === "/_ping" ? 200 : 404;
      res.end("OK");
    });
    await new Promise<void>((resolve) => fakeEngine?.listen(port, "127.0.0.1", resolve));
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    expect(await dockerAvailable()).toBe(true);
  });
});

describe("container starters without an engine", () => {
  it("fail fast with CAREHUB_ERR_TESTKIT_NO_DOCKER instead of hanging in testcontainers", async () => {
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${await freePort()}`;
    const nats = await timed(() =>
      startNatsContainer().then(
        () => "started",
        (error: unknown) => error,
      ),
    );
    expect(nats.value).toMatchObject({ name: "TestkitNoDockerError", code: "CAREHUB_ERR_TESTKIT_NO_DOCKER" });
    expect(nats.ms).toBeLessThan(3_000);
    await expect(startRedisContainer()).rejects.toMatchObject({ code: "CAREHUB_ERR_TESTKIT_NO_DOCKER" });
  });
});

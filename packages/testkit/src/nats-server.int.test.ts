import { existsSync } from "node:fs";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { type NatsServerHandle, startNatsServer } from "./nats-server.ts";

let server: NatsServerHandle | undefined;
afterAll(async () => {
  await server?.stop();
});

async function withConnection<T>(url: string, fn: (nc: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: url });
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}

describe("startNatsServer", () => {
  it("keeps JetStream data across a graceful restart and a SIGKILL + restart, on the same port", async () => {
    server = await startNatsServer();
    const { url, port } = server;
    expect(url).toBe(`nats://127.0.0.1:${port}`);
    await withConnection(url, async (nc) => {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "KEEP", subjects: ["keep.>"], storage: "file" });
      await jetstream(nc).publish("keep.a", "one");
    });

    await server.restart();
    await withConnection(url, async (nc) => {
      await jetstream(nc).publish("keep.a", "two");
      const info = await (await jetstreamManager(nc)).streams.info("KEEP");
      expect(info.state.messages).toBe(2);
    });

    await server.kill();
    await server.restart();
    expect(server.port).toBe(port);
    await withConnection(url, async (nc) => {
      const msg = await (await jetstreamManager(nc)).streams.getMessage("KEEP", { seq: 2 });
      expect(msg?.string()).toBe("two");
    });
  });

  it("removes its temporary store when stopped", async () => {
    const own = await startNatsServer();
    expect(existsSync(own.storeDir)).toBe(true);
    await own.stop();
    expect(existsSync(own.storeDir)).toBe(false);
    await expect(withConnection(own.url, async () => "connected")).rejects.toThrow();
  });
});

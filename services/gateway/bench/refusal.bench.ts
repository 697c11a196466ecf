/**
 * What refusing a request for load costs the gateway's process (docs/performance.md, "Refusing for load"):
 * CPU time per refusal, measured in the server's process while a client in a process of its own sends
 * requests that are all refused. Three ways, in the same run (read the ratios, not the absolutes):
 *   raw-close       the gateway's admission (src/admission.ts): the raw node:http handler answers 503, to a client
 *                   that sends `Connection: close`, so every retry comes on a new connection
 *   raw-keepalive   the same, to a client that keeps its connections: a retry reuses one (what the gateway allows
 *                   when the bound was not the connections and the body is small)
 *   fastify-close   the way before: a fastify onRequest hook answers, after fastify's routing
 * Run: node services/gateway/bench/refusal.bench.ts [requests per way, default 20000]
 */
import { spawn } from "node:child_process";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { admissionControl } from "../src/admission.ts";

const CONCURRENCY = 32;

if (process.argv[2] === "client") {
  const [url, total, keepAlive] = [process.argv[3] as string, Number(process.argv[4]), process.argv[5] === "keep"];
  const agent = new Agent({ keepAlive, maxSockets: CONCURRENCY });
  const body = "x".repeat(2_000);
  let sent = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: "POST", agent, headers: { "content-type": "application/fhir+json" } }, (r) => {
        r.resume();
        r.on("end", resolve);
      });
      req.on("error", reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < total) {
        sent++;
        await one();
      }
    }),
  );
  agent.destroy();
  process.exit(0);
}

const total = Number(process.argv[2] ?? 20_000);

/** A server in which one request holds the only slot, so every other is refused by the gateway's admission. */
function rawServer(): Server {
  const admission = admissionControl({ maxRequests: 1, maxBytes: 1 << 20, maxBodyBytes: 1 << 16 });
  const server = createServer((req, res) => {
    if (admission.admit(req, res)) return; // the holder: never answered
  });
  admission.attach(server);
  return server;
}

async function fastifyServer(): Promise<Server> {
  const app = Fastify({ logger: false });
  app.addHook("onRequest", async (_request, reply) => {
    reply.code(503).header("retry-after", "1").header("connection", "close");
    return reply.send({ code: "CAREHUB_ERR_GATEWAY_OVERLOADED", message: "busy" });
  });
  app.post("/v1/messages", async () => ({}));
  await app.ready();
  return app.server;
}

async function measure(name: string, server: Server, keepAlive: boolean, holder: boolean): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/messages`;
  if (holder) {
    const held = request(url, { method: "POST", headers: { "content-length": "10" } });
    held.on("error", () => undefined);
    held.write("x");
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  const client = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), "client", url, String(total), keepAlive ? "keep" : "close"],
    {
      stdio: "inherit",
    },
  );
  await new Promise((resolve) => client.once("exit", resolve));
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  const perRefusalUs = (used.user + used.system) / total;
  console.log(
    `${name.padEnd(14)} ${perRefusalUs.toFixed(1).padStart(7)} µs CPU per refusal in the server, ${Math.round(total / seconds)} refusals/s`,
  );
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return perRefusalUs;
}

console.log(`refusal bench: ${total} refused requests per way, ${CONCURRENCY} at once, 2 KB bodies`);
const rawClose = await measure("raw-close", rawServer(), false, true);
const rawKeep = await measure("raw-keepalive", rawServer(), true, true);
const fastifyClose = await measure("fastify-close", await fastifyServer(), false, false);
console.log(
  `ratios (CPU per refusal): raw-keepalive / raw-close ${(rawKeep / rawClose).toFixed(2)}, fastify-close / raw-close ${(fastifyClose / rawClose).toFixed(2)}`,
);

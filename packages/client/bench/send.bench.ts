/**
 * The SDK's send path, CPU per message in the sending process, in one run: `createClient(...).send` over its
 * default transport (node:http keep-alive) against the same client given the global `fetch` (what it used before,
 * docs/decisions/0126), alternated. The gateway is a stub in a child process answering 202 with the gateway's JSON,
 * so only the client's CPU is counted; 64 sends in flight, the bench's message sizes.
 * Usage: node packages/client/bench/send.bench.ts [--messages=5000] [--rounds=3]
 */
import { fork } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "../src/index.ts";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const MESSAGES = Number(value("messages") ?? 5_000);
const ROUNDS = Number(value("rounds") ?? 3);
const IN_FLIGHT = 64;

if (process.env.SEND_BENCH_STUB === "1") {
  // The stub gateway: reads the body to the end and answers as the gateway does.
  const answer = JSON.stringify({ id: "01JABCDEF0123456789ABCDEFG", messageId: "m", status: "received" });
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () =>
      response.writeHead(202, { "content-type": "application/json", "content-length": answer.length }).end(answer),
    );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.send?.((server.address() as AddressInfo).port));
} else {
  const stub = fork(new URL(import.meta.url), [], { env: { ...process.env, SEND_BENCH_STUB: "1" } });
  const port = await new Promise<number>((resolve) => stub.once("message", (m) => resolve(m as number)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const clients = {
    fetch: createClient({ baseUrl, token: "t", fetch: (input, init) => fetch(input, init) }),
    "node:http": createClient({ baseUrl, token: "t" }),
  };
  // The bench mix's sizes (bench/e2e/messages.ts): 2 in 5 FHIR JSON 6.9 KB, 2 in 5 OIOXML 2.7 KB, 1 in 5 21 KB.
  const bodies = [6_900, 2_700, 6_900, 2_700, 21_000].map((size) => "x".repeat(size));
  const run = async (client: (typeof clients)[keyof typeof clients], count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        await client.send(bodies[i % bodies.length] as string, { contentType: "application/fhir+json" });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  };
  for (const client of Object.values(clients)) await run(client, 1_000); // warm-up: JIT, connections
  const results: Record<string, number[]> = { fetch: [], "node:http": [] };
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, client] of Object.entries(clients)) {
      const before = process.cpuUsage();
      await run(client, MESSAGES);
      const used = process.cpuUsage(before);
      results[name]?.push(Math.round((used.user + used.system) / MESSAGES));
    }
  for (const [name, figures] of Object.entries(results))
    console.log(`${name.padEnd(9)} ${figures.join(" / ")} µs of client CPU per send`);
  stub.kill();
}

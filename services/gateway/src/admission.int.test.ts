import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { EndpointRegistry } from "@carehub/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleRegistry } from "../test/example-registry.ts";
import { type RunningGateway, startGateway } from "./start-gateway.ts";

/**
 * Back-pressure through real HTTP against a real gateway on real NATS and Redis (issue 16, item 3): with two
 * uploads held open by slow senders, a third request is refused at once with 503 and `Retry-After`, `/healthz`
 * still answers, and once the slow uploads finish they are stored and the gateway admits again. The byte bound
 * refuses an upload that would not fit beside those in flight even while request slots are free.
 */

const HOMECARE = readFileSync(
  new URL(
    "../../../test/fixtures/medcom/examples/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json",
    import.meta.url,
  ),
  "utf8",
);
const MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
/** The example with a fresh MessageHeader id: a new message every time, never a duplicate. */
const freshMessage = () => Buffer.from(HOMECARE.replaceAll(MESSAGE_ID, randomUUID()));
const SIZE = freshMessage().byteLength;

const registry = EndpointRegistry.from(exampleRegistry);

interface Answer {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A POST whose body is sent in two halves: the second only when `finish` is called (a slow sender). */
function slowUpload(url: string, body: Buffer): { finish(): void; answer: Promise<Answer> } {
  let req: ClientRequest | undefined;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = httpRequest(
      `${url}/v1/messages`,
      {
        method: "POST",
        headers: {
          authorization: "Bearer acute-token",
          "content-type": "application/fhir+json",
          "content-length": String(body.byteLength),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.write(body.subarray(0, body.byteLength >> 1));
  });
  return { finish: () => req?.end(body.subarray(body.byteLength >> 1)), answer };
}

async function post(url: string, body: Buffer): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { authorization: "Bearer acute-token", "content-type": "application/fhir+json" },
    body,
  });
}

/**
 * Polls until `probe` answers 503: the slow uploads have been admitted and fill the gateway. Returns the 503
 * and how many probes were accepted (202) before it.
 */
async function untilOverloaded(probe: () => Promise<Response>): Promise<{ refused: Response; accepted: number }> {
  let accepted = 0;
  for (let i = 0; i < 400; i++) {
    const response = await probe();
    if (response.status === 503) return { refused: response, accepted };
    if (response.status === 202) accepted++;
    await response.body?.cancel();
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error("the gateway never refused for load");
}

describe("gateway admission control", () => {
  let ns: TestNamespace;
  const gateways: RunningGateway[] = [];

  const start = async (limits: { maxInflightRequests: number; maxInflightBytes: number }) => {
    const gateway = await startGateway({
      config: { httpHost: "127.0.0.1", httpPort: 0, maxBodyBytes: 64 * 1024, retentionDays: 1, ...limits },
      registry,
      bus: ns.bus,
      redis: ns.redis,
    });
    gateways.push(gateway);
    return gateway;
  };
  const ingressCount = async () => (await ns.bus.jsm.streams.info(ns.bus.topology.streams.ingress)).state.messages;

  beforeAll(async () => {
    ns = await openTestNamespace("gw-admit");
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.stop();
    await ns?.close();
  });

  it("refuses beyond N requests in flight with 503 and Retry-After, keeps /healthz answering, and stores what it admitted", async () => {
    const gateway = await start({ maxInflightRequests: 2, maxInflightBytes: 1024 * 1024 });
    const before = await ingressCount();
    const slow = [slowUpload(gateway.url, freshMessage()), slowUpload(gateway.url, freshMessage())];
    // An unauthenticated probe is admitted and refused (401) until both slow uploads hold their slots.
    const { refused } = await untilOverloaded(() => fetch(`${gateway.url}/v1/stats`));
    expect(["1", "2"]).toContain(refused.headers.get("retry-after"));
    expect(await refused.json()).toEqual({ code: "CAREHUB_ERR_GATEWAY_OVERLOADED", message: expect.any(String) });
    expect((await post(gateway.url, freshMessage())).status).toBe(503);
    const health = await fetch(`${gateway.url}/healthz`);
    expect(health.status).toBe(200);

    for (const upload of slow) upload.finish();
    const answers = await Promise.all(slow.map((upload) => upload.answer));
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    // Their slots are free again.
    expect((await post(gateway.url, freshMessage())).status).toBe(202);
    expect(await ingressCount()).toBe(before + 3);
  });

  it("refuses an upload whose bytes do not fit beside those in flight, while request slots are free", async () => {
    const gateway = await start({ maxInflightRequests: 50, maxInflightBytes: 2 * SIZE + 100 });
    const before = await ingressCount();
    const slow = [slowUpload(gateway.url, freshMessage()), slowUpload(gateway.url, freshMessage())];
    const { refused, accepted } = await untilOverloaded(() => post(gateway.url, freshMessage()));
    expect(["1", "2"]).toContain(refused.headers.get("retry-after"));
    // A request without a body still fits.
    expect((await fetch(`${gateway.url}/v1/stats`)).status).toBe(401);
    for (const upload of slow) upload.finish();
    expect((await Promise.all(slow.map((upload) => upload.answer))).map((a) => a.status)).toEqual([202, 202]);
    expect((await post(gateway.url, freshMessage())).status).toBe(202);
    // Every message the gateway accepted is stored; the refused ones are not.
    expect(await ingressCount()).toBe(before + 3 + accepted);
  });

  it("refuses at start-up a byte bound that could never admit the largest message", async () => {
    await expect(start({ maxInflightRequests: 2, maxInflightBytes: 1024 })).rejects.toThrow(
      /CAREHUB_MAX_INFLIGHT_BYTES/,
    );
  });
});

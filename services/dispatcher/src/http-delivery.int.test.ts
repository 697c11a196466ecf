import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISPATCH_ERROR_CODES } from "./dispatch-errors.ts";
import { type DeliveryMessage, deliverOverHttp } from "./http-delivery.ts";

// deliverOverHttp against a real HTTP server: what a webhook answers, or fails to, becomes the right outcome.
const message: DeliveryMessage = {
  hubId: "hub-1",
  messageId: "msg-1",
  kind: "lab-result",
  sourceEndpoint: "lab",
  contentType: "application/xml",
  body: new TextEncoder().encode("<Emessage/>"),
  attempt: 1,
};

let server: Server;
let base: string;
let handle: (request: IncomingMessage, response: ServerResponse) => void = (_q, s) => void s.end();
const sockets = new Set<unknown>();
const paths: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    sockets.add(request.socket);
    paths.push(request.url ?? "");
    handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

describe("deliverOverHttp", () => {
  it("reads each answer to the end, so the next delivery reuses the connection", async () => {
    handle = (request, response) => request.resume().on("end", () => response.writeHead(200).end("thanks"));
    sockets.clear();
    for (let i = 0; i < 3; i++)
      expect(await deliverOverHttp({ url: `${base}/hook`, timeoutMs: 2_000 }, message)).toEqual({
        ok: true,
        status: 200,
      });
    expect(sockets.size).toBe(1);
  });

  it("closes an idle connection a second before the endpoint's Keep-Alive deadline", async () => {
    const endpoint = createServer((request, response) =>
      request.resume().on("end", () => response.writeHead(200, { "keep-alive": "timeout=2" }).end()),
    );
    endpoint.keepAliveTimeout = 60_000; // the server itself would wait a minute: only the dispatcher closes it
    const closedByDispatcher = new Promise((resolve) =>
      endpoint.once("connection", (socket) => socket.once("end", resolve)),
    );
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/hook`;
      expect(await deliverOverHttp({ url, timeoutMs: 2_000 }, message)).toMatchObject({ ok: true });
      await closedByDispatcher; // without the agent's timeout it never comes, and the test times out
    } finally {
      endpoint.closeAllConnections();
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });

  it("gives up on an endpoint that does not answer in time, as a retryable timeout", async () => {
    handle = () => {}; // never answers
    const started = Date.now();
    const outcome = await deliverOverHttp({ url: `${base}/slow`, timeoutMs: 300 }, message);
    expect(outcome).toMatchObject({ ok: false, retryable: true, code: DISPATCH_ERROR_CODES.timeout });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("names the system error of an endpoint that refuses the connection", async () => {
    const outcome = await deliverOverHttp({ url: `http://127.0.0.1:${await freePort()}/`, timeoutMs: 2_000 }, message);
    expect(outcome).toMatchObject({ ok: false, retryable: true, code: DISPATCH_ERROR_CODES.network });
    expect(outcome.ok === false && outcome.message).toBe("network error: ECONNREFUSED");
  });

  it("does not follow a redirect: the POST is refused, nothing is sent to the new location", async () => {
    handle = (request, response) =>
      request.resume().on("end", () => response.writeHead(302, { location: `${base}/elsewhere` }).end());
    paths.length = 0;
    const outcome = await deliverOverHttp({ url: `${base}/moved`, timeoutMs: 2_000 }, message);
    expect(outcome).toMatchObject({ ok: false, retryable: false, code: DISPATCH_ERROR_CODES.httpRefused });
    expect(paths).toEqual(["/moved"]);
  });

  it("passes on the endpoint's Retry-After with a retryable 503", async () => {
    handle = (request, response) =>
      request.resume().on("end", () => response.writeHead(503, { "retry-after": "7" }).end());
    const outcome = await deliverOverHttp({ url: `${base}/busy`, timeoutMs: 2_000 }, message);
    expect(outcome).toMatchObject({ ok: false, retryable: true, retryAfterMs: 7_000 });
  });
});

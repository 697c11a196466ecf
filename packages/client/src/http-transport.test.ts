import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { HubRequestError, HubResponseError, HubUnreachableError } from "./errors.ts";
import { createClient } from "./hub-client.ts";

// The client's default transport (node:http keep-alive, docs/decisions/0126) against a real HTTP server.
type Handler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function hub(handler: Handler) {
  const seen = {
    connections: 0,
    requests: [] as Array<{ method?: string; url?: string; headers: object; body: string }>,
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.requests.push({ method: request.method, url: request.url, headers: request.headers, body: body.toString() });
      handler(request, body, response);
    });
  });
  server.on("connection", () => seen.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { baseUrl, seen, server };
}

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(text);
};
const accepted = { id: "h1", messageId: "m1", status: "received" };
/** What one send throws (nothing when it succeeds). */
const failureOf = (client: ReturnType<typeof createClient>) =>
  client.send("{}", { contentType: "application/fhir+json" }).then(
    () => undefined,
    (error: unknown) => error,
  );

describe("the client over node:http", () => {
  it("posts the bytes with length, type and token, reads the answer, and keeps one connection for the next", async () => {
    const { baseUrl, seen } = await hub((_request, _body, response) => json(response, 202, accepted));
    const client = createClient({ baseUrl, token: "secret" });
    const body = new TextEncoder().encode('{"resourceType":"Bundle","æ":"ø"}');
    await expect(client.send(body, { contentType: "application/fhir+json" })).resolves.toEqual({
      ...accepted,
      duplicate: false,
    });
    await client.send("{}", { contentType: "application/fhir+json" });
    expect(seen.requests[0]).toMatchObject({
      method: "POST",
      url: "/v1/messages",
      body: '{"resourceType":"Bundle","æ":"ø"}',
      headers: {
        authorization: "Bearer secret",
        "content-type": "application/fhir+json",
        "content-length": String(body.byteLength),
      },
    });
    expect(seen.connections).toBe(1);
  });

  it("waits out a busy answer's Retry-After and asks again", async () => {
    let calls = 0;
    const { baseUrl, seen } = await hub((_request, _body, response) =>
      calls++ === 0
        ? json(response, 503, { code: "CAREHUB_ERR_GATEWAY_OVERLOADED", message: "busy" }, { "retry-after": "0" })
        : json(response, 202, accepted),
    );
    const client = createClient({ baseUrl, token: "t" });
    await expect(client.send("{}", { contentType: "application/fhir+json" })).resolves.toMatchObject({ id: "h1" });
    expect(seen.requests).toHaveLength(2);
    // The busy answer's body was read to the end: the retry went over the same connection.
    expect(seen.connections).toBe(1);
  });

  it("does not follow a redirect: a POST must not be re-sent elsewhere or turn into a GET", async () => {
    const { baseUrl, seen } = await hub((request, _body, response) =>
      request.url === "/v1/messages"
        ? response.writeHead(307, { location: "/elsewhere" }).end()
        : json(response, 202, accepted),
    );
    const client = createClient({ baseUrl, token: "t" });
    const error = await failureOf(client);
    expect(error).toBeInstanceOf(HubRequestError);
    expect(error).toMatchObject({ status: 307 });
    expect(seen.requests.map((r) => r.url)).toEqual(["/v1/messages"]);
  });

  it("gives up on a hub that does not answer within the timeout, as unreachable and retryable", async () => {
    const { baseUrl } = await hub(() => undefined);
    const client = createClient({ baseUrl, token: "t", requestTimeoutMs: 200 });
    const error = await failureOf(client);
    expect(error).toBeInstanceOf(HubUnreachableError);
    expect(error).toMatchObject({ retryable: true });
  });

  it("counts reading the answer's body in the timeout, and reports a stalled body as a retryable bad answer", async () => {
    const { baseUrl } = await hub((_request, _body, response) => {
      response.writeHead(202, { "content-type": "application/json", "content-length": "100" });
      response.write('{"id":');
    });
    const error = await failureOf(createClient({ baseUrl, token: "t", requestTimeoutMs: 200 }));
    expect(error).toBeInstanceOf(HubResponseError);
    expect(error).toMatchObject({ retryable: true });
  });

  it("reports an answer cut short by the hub as a retryable bad answer", async () => {
    const { baseUrl } = await hub((_request, _body, response) => {
      response.writeHead(202, { "content-type": "application/json", "content-length": "100" });
      response.write('{"id":', () => response.destroy());
    });
    expect(await failureOf(createClient({ baseUrl, token: "t" }))).toBeInstanceOf(HubResponseError);
  });

  it("closes an idle connection a second before the server's Keep-Alive deadline", async () => {
    const { baseUrl, server } = await hub((_request, _body, response) =>
      json(response, 202, accepted, { "keep-alive": "timeout=2" }),
    );
    server.keepAliveTimeout = 60_000; // the server itself would wait a minute: only the client closes it
    const closedByClient = new Promise((resolve) => server.once("connection", (socket) => socket.once("end", resolve)));
    await createClient({ baseUrl, token: "t" }).send("{}", { contentType: "application/fhir+json" });
    await closedByClient; // without the agent's timeout it never comes, and the test times out
  });

  it("sends again on a new connection when the server closed the kept-alive one as the request went out", async () => {
    let requests = 0;
    const { baseUrl, seen } = await hub((request, _body, response) =>
      // The second request comes on the first's kept-alive connection: closed unanswered, as by a server whose
      // idle deadline passed just then.
      ++requests === 2 ? request.socket.destroy() : json(response, 202, accepted),
    );
    const client = createClient({ baseUrl, token: "t" });
    await client.send("{}", { contentType: "application/fhir+json" });
    await expect(client.send("{}", { contentType: "application/fhir+json" })).resolves.toMatchObject({ id: "h1" });
    expect(seen.requests).toHaveLength(3);
    expect(seen.connections).toBe(2);
  });

  it("does not send again when a new connection is closed unanswered: the hub may have taken it", async () => {
    const { baseUrl, seen } = await hub((request) => request.socket.destroy());
    expect(await failureOf(createClient({ baseUrl, token: "t" }))).toBeInstanceOf(HubUnreachableError);
    expect(seen.requests).toHaveLength(1);
  });

  it("does not send again when a kept-alive connection broke after the answer had begun", async () => {
    let requests = 0;
    const { baseUrl, seen } = await hub((request, _body, response) =>
      ++requests === 2
        ? request.socket.write("HTTP/1.1 20", () => request.socket.destroy())
        : json(response, 202, accepted),
    );
    const client = createClient({ baseUrl, token: "t" });
    await client.send("{}", { contentType: "application/fhir+json" });
    expect(await failureOf(client)).toBeInstanceOf(HubUnreachableError);
    expect(seen.requests).toHaveLength(2);
  });

  it("goes through the proxy in HTTP_PROXY when Node is told to (NODE_USE_ENV_PROXY=1), as fetch does", async () => {
    const { baseUrl, seen } = await hub((_request, _body, response) => json(response, 202, accepted));
    const proxied: string[] = [];
    const { baseUrl: proxyUrl } = await hub((request, _body, response) => {
      proxied.push(request.url ?? ""); // a proxy is asked for the absolute URL
      json(response, 202, accepted);
    });
    // The agents are made when the module loads, from the process's environment: a child process with the proxy set.
    const transport = JSON.stringify(new URL("./http-transport.ts", import.meta.url).href);
    const script = `import { nodeHttpTransport } from ${transport};
      const answer = await nodeHttpTransport(process.argv[1], { method: "POST", headers: {}, body: "{}", timeoutMs: 5000 });
      await answer.discard();
      process.stdout.write(String(answer.status));`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_USE_ENV_PROXY: "1",
      HTTP_PROXY: proxyUrl,
      http_proxy: proxyUrl,
    };
    delete env.NO_PROXY;
    delete env.no_proxy;
    const child = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", script, `${baseUrl}/v1/messages`],
      { env },
    );
    expect(child.stdout).toBe("202");
    expect(proxied).toEqual([`${baseUrl}/v1/messages`]);
    expect(seen.requests).toHaveLength(0);
  });
});

import {
  type AgentOptions,
  type ClientRequest,
  Agent as HttpAgent,
  globalAgent as httpGlobalAgent,
  request as httpRequest,
  type IncomingMessage,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** One HTTP answer from the hub, as the client reads it: what `fetch`'s Response and node:http both give. */
export interface HubAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The body, read to the end, as UTF-8. */
  text(): Promise<string>;
  /** Reads the body to the end and drops it (so the connection can be used again). */
  discard(): Promise<void>;
}

export interface HubRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** The whole exchange, answer body included, within this long; else a TimeoutError. */
  timeoutMs: number;
}

/** Sends one request to the hub. Rejects when no answer came (network failure, timeout). */
export type HubTransport = (url: string, request: HubRequest) => Promise<HubAnswer>;

/** Over a `fetch` implementation (a caller's: tests, proxies). Redirects are followed as `fetch` does. */
export function fetchTransport(doFetch: typeof fetch): HubTransport {
  return async (url, { method, headers, body, timeoutMs }) => {
    const response = await doFetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    return {
      status: response.status,
      ok: response.ok,
      headers: response.headers,
      text: () => response.text(),
      discard: async () => void (await response.body?.cancel()),
    };
  };
}

/**
 * How long an idle kept-alive connection waits for the next request before the client closes it. Node's agent
 * honours a server's `Keep-Alive: timeout=<s>` hint (closing a second before it) only when it is shorter than this,
 * and without it kept an idle connection until the server closed it — sometimes just as a request went out on it.
 * 4 s, as `fetch` (undici) keeps them: under the 5 s after which Node's HTTP servers and many proxies close idle
 * connections (the gateway itself keeps them 72 s; a proxy or load balancer in front of it may not).
 */
const IDLE_CONNECTION_MS = 4_000;

// node:http rather than fetch: about half the client's CPU per send (docs/decisions/0126). One agent per protocol,
// module-wide: connections are shared by every client in the process, as fetch's global pool is. Through the proxy
// in HTTP(S)_PROXY / NO_PROXY when Node's own agents and fetch use it (NODE_USE_ENV_PROXY=1 or --use-env-proxy):
// a custom agent does not otherwise. `proxyEnv` is Node 24's; @types/node does not declare it yet.
const proxyEnv = (httpGlobalAgent as { options?: { proxyEnv?: NodeJS.ProcessEnv } }).options?.proxyEnv;
const agentOptions: AgentOptions & { proxyEnv?: NodeJS.ProcessEnv } = {
  keepAlive: true,
  timeout: IDLE_CONNECTION_MS,
  ...(proxyEnv === undefined ? {} : { proxyEnv }),
};
const AGENTS: Record<string, HttpAgent> = {
  "http:": new HttpAgent(agentOptions),
  "https:": new HttpsAgent(agentOptions),
};

/**
 * The default: node:http(s) with keep-alive agents. Redirects are not followed (a POST must not turn into a GET;
 * the gateway never redirects). The timeout covers the request and reading the answer's body to the end.
 *
 * A kept-alive connection the server closed just as the request went out on it (reset or closed before any byte
 * of an answer) is tried once more on a new connection, as Node documents (`request.reusedSocket`): the server
 * never answered it, and the gateway recognises a repeat by its message id anyway.
 */
export const nodeHttpTransport: HubTransport = (url, { method, headers, body, timeoutMs }) =>
  new Promise<HubAnswer>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    let current: ClientRequest | undefined;
    const timer = setTimeout(
      () => current?.destroy(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
      timeoutMs,
    );
    const attempt = (isRetry: boolean) => {
      let bytesBefore: number | undefined;
      const request = send(target, { method, headers, agent: AGENTS[target.protocol] }, (response) => {
        const ended = readToEnd(response);
        ended.then(
          () => clearTimeout(timer),
          () => clearTimeout(timer),
        );
        const status = response.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: { get: (name) => headerOf(response, name) },
          text: async () => (await ended).toString("utf8"),
          discard: async () => void (await ended.catch(() => undefined)),
        });
      });
      current = request;
      request.once("socket", (socket) => (bytesBefore = socket.bytesRead));
      request.on("error", (error: NodeJS.ErrnoException) => {
        const unanswered = request.socket !== null && request.socket.bytesRead === bytesBefore;
        if (!isRetry && request.reusedSocket && unanswered && CLOSED_UNDER_US.has(error.code ?? "")) {
          attempt(true);
          return;
        }
        clearTimeout(timer);
        reject(error);
      });
      // The whole body in end(): Node sends it with its Content-Length, not chunked.
      request.end(body);
    };
    attempt(false);
  });

/** How a request fails on a connection the server closed: reset (or "socket hang up"), or written to when closed. */
const CLOSED_UNDER_US = new Set(["ECONNRESET", "EPIPE"]);

function headerOf(response: IncomingMessage, name: string): string | null {
  const value = response.headers[name.toLowerCase()];
  return (Array.isArray(value) ? value.join(", ") : value) ?? null;
}

/** The answer's body; rejects when the connection breaks (or the timeout destroys it) before the end. */
function readToEnd(response: IncomingMessage): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    response.once("error", reject);
    response.once("close", () => {
      if (!response.complete) reject(new Error("the hub's answer was cut short"));
    });
  });
}

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A message id an endpoint got again, after it had taken it once. */
export interface Repeat {
  endpoint: string;
  messageId: string;
  firstAt: number;
  repeatAt: number;
}

/**
 * The receiving systems of many endpoints behind one HTTP server (`<url>/<endpoint id>`): every delivery is
 * recorded and, as real receivers do (docs/contracts.md), a repeated Carehub-Message-Id is counted once and
 * kept as a repeat. An endpoint can be taken down: its connections are cut before an answer.
 */
export class RecordingReceivers {
  /** Per endpoint: message id → when it first arrived. */
  readonly unique = new Map<string, Map<string, number>>();
  readonly repeats: Repeat[] = [];
  /** Per endpoint: message id → its place in the order of first arrivals at that endpoint (0, 1, 2, …). */
  readonly arrival = new Map<string, Map<string, number>>();
  requests = 0;
  readonly #down = new Set<string>();
  readonly #server: Server;

  constructor() {
    this.#server = createServer((request, response) => {
      const endpoint = (request.url ?? "/").slice(1);
      if (this.#down.has(endpoint)) {
        request.socket.destroy();
        return;
      }
      const messageId = String(request.headers["carehub-message-id"]);
      request.resume();
      request.on("end", () => {
        this.requests++;
        let seen = this.unique.get(endpoint);
        if (seen === undefined) {
          seen = new Map();
          this.unique.set(endpoint, seen);
        }
        const firstAt = seen.get(messageId);
        if (firstAt !== undefined) this.repeats.push({ endpoint, messageId, firstAt, repeatAt: Date.now() });
        else {
          seen.set(messageId, Date.now());
          let order = this.arrival.get(endpoint);
          if (order === undefined) {
            order = new Map();
            this.arrival.set(endpoint, order);
          }
          order.set(messageId, order.size);
        }
        response.writeHead(200).end();
      });
    });
  }

  /** Listens on a free loopback port; resolves with the base URL (an endpoint's webhook is `<url>/<id>`). */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Distinct message ids the endpoint has taken. */
  count(endpoint: string): number {
    return this.unique.get(endpoint)?.size ?? 0;
  }

  has(endpoint: string, messageId: string): boolean {
    return this.unique.get(endpoint)?.has(messageId) ?? false;
  }

  /** While down, the endpoint's connections are cut before an answer (a network error for the dispatcher). */
  setDown(endpoint: string, down: boolean): void {
    if (down) this.#down.add(endpoint);
    else this.#down.delete(endpoint);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

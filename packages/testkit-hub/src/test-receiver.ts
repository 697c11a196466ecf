import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Delivery } from "../types/public-types.mts";

export type { Delivery } from "../types/public-types.mts";

/**
 * A webhook endpoint for tests: records every delivery, answers 200, and can be told to fail the next N
 * deliveries (with a status) or to be down (every connection is cut before an answer).
 */
export class TestReceiver {
  readonly deliveries: Delivery[] = [];
  #received = 0;
  #server: Server;
  #failures: Array<number> = [];
  #down = false;
  #waiters: Array<() => void> = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  /**
   * `keep: false` answers and counts each delivery without keeping it (`deliveries` stays empty): a bench sending
   * a million messages would otherwise hold every body it was sent (~8 KB a message in bench:replay).
   */
  static async start(options: { keep?: boolean } = {}): Promise<TestReceiver> {
    const keep = options.keep ?? true;
    const server = createServer();
    const receiver = new TestReceiver(server);
    server.on("request", (request, response) => {
      if (receiver.#down) {
        request.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => {
        if (keep) chunks.push(chunk);
      });
      request.on("end", () => {
        const status = receiver.#failures.shift() ?? 200;
        receiver.#received++;
        if (keep)
          receiver.deliveries.push({
            messageId: header(request.headers, "carehub-message-id"),
            hubId: header(request.headers, "carehub-hub-id"),
            kind: header(request.headers, "carehub-kind"),
            headers: request.headers,
            body: Buffer.concat(chunks),
            status,
            at: new Date(),
          });
        response.writeHead(status).end();
        for (const wake of receiver.#waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  /** Deliveries answered so far (kept or not). */
  get received(): number {
    return this.#received;
  }

  /** The webhook URL to put in the registry. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/messages`;
  }

  /** Answer the next `count` deliveries with `status` (default 503, which the dispatcher retries). */
  failNext(count: number, status = 503): void {
    for (let i = 0; i < count; i++) this.#failures.push(status);
  }

  /** While down, every connection is cut before an answer (a network error for the dispatcher). */
  setDown(down: boolean): void {
    this.#down = down;
  }

  /** Deliveries answered 2xx, by Carehub-Message-Id. */
  accepted(messageId?: string): Delivery[] {
    return this.deliveries.filter((d) => d.status < 300 && (messageId === undefined || d.messageId === messageId));
  }

  /** Resolves once `predicate` holds for the recorded deliveries (checked on every delivery). */
  async waitFor(predicate: (deliveries: Delivery[]) => boolean, timeoutMs = 10_000): Promise<Delivery[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.deliveries)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `test receiver: condition not met within ${timeoutMs} ms (${this.deliveries.length} deliveries)`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.deliveries;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

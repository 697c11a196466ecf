/**
 * Simulated load through the HTTP gateway, as endpoints send: each message is POSTed with its sender's token
 * until the gateway stores it (202, or 200 for a repeat of one it had stored), waiting as `Retry-After` says on
 * 429 / 503 — what the SDK does — and a little on a cut connection or a 408. Closed loop (`senders` at once, each sending
 * the next message when its last is stored) or open loop (a new message every 1/rate s, however many are open).
 */
import { Agent, request } from "node:http";
import { type Outgoing, pipelineCorrection, pipelineMessage } from "../src/pipeline-traffic.ts";

/**
 * Connections one Load keeps to the gateway at most; more requests wait in the sender, as in an HTTP client's pool.
 * Unbounded (fetch's default), the full-length 3x overload had the senders open a connection per waiting
 * request: 18,955 connections the gateway had closed (its connection bound) stayed half-open in the sender, which
 * ran at 3.2 GB and a whole core without sending (docs/reliability.md).
 */
const MAX_SOCKETS = 256;

/** The gateway's answer when its admission limits are reached (docs/errors.md). */
const OVERLOADED = "CAREHUB_ERR_GATEWAY_OVERLOADED";

export interface LoadFigures {
  accepted: number;
  /** Answers refusing for load (429, or 503 CAREHUB_ERR_GATEWAY_OVERLOADED), and how many lacked Retry-After. */
  refused: number;
  refusedWithoutRetryAfter: number;
  /**
   * Connection errors, other 5xx (a gateway or NATS restart) and 408 (the gateway cut a request whose body was not
   * complete within CAREHUB_HTTP_REQUEST_TIMEOUT_MS: nothing stored), each retried.
   */
  failedAttempts: number;
  /** Of those, the 408s. */
  requestTimeouts: number;
}

/**
 * The messages of a run: numbered across scenarios, so message ids never repeat within the namespace. One lab
 * result from the lab in five is followed by its correction, sent by the same sender once the original is stored.
 */
export class Traffic {
  #next: number;
  /** `first`: the number of the first message (a sender in another process continues the run's numbering). */
  constructor(first = 0) {
    this.#next = first;
  }
  /** The number of the next message. */
  get issued(): number {
    return this.#next;
  }
  /** Continues after messages another process numbered, up to `next`. */
  skipTo(next: number): void {
    this.#next = Math.max(this.#next, next);
  }
  next(): Outgoing {
    const n = this.#next++;
    const m = pipelineMessage(n);
    if (n % 15 === 1) m.followedBy = pipelineCorrection(n);
    return m;
  }
}

export class Load {
  readonly accepted: Outgoing[] = [];
  readonly figures: LoadFigures = {
    accepted: 0,
    refused: 0,
    refusedWithoutRetryAfter: 0,
    failedAttempts: 0,
    requestTimeouts: 0,
  };
  #stopped = false;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  readonly #open = new Set<Promise<void>>();
  readonly #gatewayUrl: string;
  readonly #traffic: Traffic;

  constructor(gatewayUrl: string, traffic: Traffic) {
    this.#gatewayUrl = gatewayUrl;
    this.#traffic = traffic;
  }

  /** `senders` closed-loop senders until stop(). */
  closedLoop(senders: number): void {
    for (let i = 0; i < senders; i++) {
      this.#track(
        (async () => {
          while (!this.#stopped) await this.#sendWithFollowUps(this.#traffic.next());
        })(),
      );
    }
  }

  /** A new message every 1/rate seconds until stop(), whatever is still open. */
  openLoop(ratePerSecond: number): void {
    const started = performance.now();
    let sent = 0;
    this.#track(
      (async () => {
        while (!this.#stopped) {
          const due = Math.floor(((performance.now() - started) / 1000) * ratePerSecond);
          for (; sent < due && !this.#stopped; sent++) this.#track(this.#sendWithFollowUps(this.#traffic.next()));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })(),
    );
  }

  /** Stops starting messages and waits until every one begun is stored. */
  async stop(): Promise<LoadFigures> {
    this.#stopped = true;
    while (this.#open.size > 0) await Promise.all([...this.#open]);
    this.#agent.destroy();
    return this.figures;
  }

  #track(work: Promise<void>): void {
    this.#open.add(work);
    // A failed send fails stop() (and so its scenario's row), not the whole run as an unhandled rejection.
    work.then(
      () => this.#open.delete(work),
      () => undefined,
    );
  }

  /** Sends a message, then what follows it (its correction), each once the one before is stored. */
  async #sendWithFollowUps(first: Outgoing): Promise<void> {
    for (let m: Outgoing | undefined = first; m !== undefined; m = m.followedBy) await this.#send(m);
  }

  /** Sends one message until the gateway stores it; a 4xx other than 429 is a failure of the run. */
  async #send(m: Outgoing): Promise<void> {
    for (;;) {
      let wait = 100;
      try {
        const response = await this.#post(m);
        const answer = response.answer;
        if (response.status === 202 || response.status === 200) {
          this.accepted.push(m);
          this.figures.accepted++;
          return;
        }
        const retryAfter = response.retryAfter;
        if (retryAfter !== null) wait = Math.max(Number(retryAfter) * 1000, 100);
        if (response.status === 429 || answer.code === OVERLOADED) {
          // Refused for load: it must say when to come back.
          this.figures.refused++;
          if (retryAfter === null) this.figures.refusedWithoutRetryAfter++;
        } else if (response.status === 408) {
          // The request was cut before its body was complete (nothing stored): the sender sends it again.
          this.figures.failedAttempts++;
          this.figures.requestTimeouts++;
        } else if (response.status < 500) {
          throw new Error(`the gateway refused message ${m.messageId}: HTTP ${response.status}`);
        } else {
          this.figures.failedAttempts++;
        }
      } catch (error) {
        if (error instanceof Error && error.message.startsWith("the gateway refused")) throw error;
        this.figures.failedAttempts++;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** POSTs a message over the Load's pool; resolves with the answer, its body read whole (so the socket is reused or closed). */
  #post(m: Outgoing): Promise<{ status: number; retryAfter: string | null; answer: { code?: unknown } }> {
    const body = typeof m.body === "string" ? Buffer.from(m.body) : Buffer.from(m.body);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        `${this.#gatewayUrl}/v1/messages`,
        {
          method: "POST",
          agent: this.#agent,
          headers: {
            "content-type": m.contentType,
            "content-length": body.byteLength,
            authorization: `Bearer token-${m.from}`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.once("error", reject);
          response.once("end", () => {
            let answer: { code?: unknown } = {};
            try {
              answer = JSON.parse(Buffer.concat(chunks).toString()) as { code?: unknown };
            } catch {
              // Not JSON (a proxy's or node's own answer): no code.
            }
            const retryAfter = response.headers["retry-after"];
            resolve({ status: response.statusCode ?? 0, retryAfter: retryAfter ?? null, answer });
          });
        },
      );
      outgoing.once("error", reject);
      outgoing.end(body);
    });
  }
}

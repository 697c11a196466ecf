import { JetStreamApiError } from "@nats-io/jetstream";
import {
  ClosedConnectionError,
  DrainingConnectionError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  PermissionViolationError,
} from "@nats-io/nats-core";
import { subscribeTokenReplies, type TokenReplies } from "./inbox.ts";

/** What JetStream answers a stored publish with. */
export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

/** No answer within the publish's timeout: the message may or may not be stored (a retry is deduplicated). */
export class PublishTimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/** Nothing listens on the subject (no stream stores it), or the connection went before the answer came. */
export class PublishUnansweredError extends Error {
  override readonly name = "PublishUnansweredError";
}

interface Waiting {
  resolve(ack: PubAck): void;
  reject(error: Error): void;
  /** On the monotonic clock (performance.now): a wall-clock step must not fail or prolong a publish. */
  deadline: number;
  /** Where it was published: a publish permission violation names the subject. */
  subject: string;
}

const decoder = new TextDecoder();
/** How often unanswered publishes are checked against their deadline: a timeout fires up to this much late. */
const SWEEP_MS = 250;
/**
 * nats.js's default for a request's answer (js.publish's `opts.timeout || 5000`, and its JetStream manager's
 * `defaultTimeout`, which `jsm.direct.getMessage` used): the bus's one spelling of it. A publish whose timeout is 0,
 * negative or none waits this long; so does a direct get, and an access record's publish (audit-publish.ts).
 */
export const NATS_REQUEST_TIMEOUT_MS = 5_000;
const owners = new WeakMap<NatsConnection, PublishAcks>();

/**
 * JetStream publish acks for one connection, over one reply subscription (`<inbox>.<token>`), the way the bus's
 * AckConfirmer takes ack confirmations (docs/decisions/0115). `js.publish` answers the same question with a request
 * per publish: a timer (setTimeout) and a deferred for its timeout, a second deferred for the answer, a
 * Promise.race of the two and a catch on it, two async functions and a copy of the options — about six promises
 * and a timer for each of the hub's six publishes per message. Here a publish is one map entry and one promise;
 * one interval sweeps the deadlines. The answers are read as js.publish reads them: an API error reply becomes
 * nats.js's JetStreamApiError (same status and code), a 503 status "no responders", silence a TimeoutError.
 */
export class PublishAcks {
  readonly #nc: NatsConnection;
  readonly #waiting = new Map<number, Waiting>();
  #replies: TokenReplies | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #next = 0;

  private constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** The one instance of a connection. */
  static of(nc: NatsConnection): PublishAcks {
    let acks = owners.get(nc);
    if (acks === undefined) {
      acks = new PublishAcks(nc);
      owners.set(nc, acks);
    }
    return acks;
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  #start(): void {
    this.#replies = subscribeTokenReplies(
      this.#nc,
      (token, msg) => {
        const waiting = this.#waiting.get(token);
        if (waiting === undefined) return;
        this.#waiting.delete(token);
        this.#answer(waiting, msg);
      },
      (error) => this.#failAll(error),
    );
    void this.#nc.closed().then(() => this.#failAll(new PublishUnansweredError("connection closed")));
    void this.#watchPermissions();
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS);
    this.#sweeper.unref();
  }

  /**
   * The server refuses a publish it does not permit with an -ERR, not a reply: js.publish's request failed at once
   * (its mux subscription took the error). Fail the publishes to that subject now instead of at their deadline.
   */
  async #watchPermissions(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type !== "error" || !(status.error instanceof PermissionViolationError)) continue;
      const violation = status.error;
      if (violation.operation !== "publish") continue;
      for (const [token, waiting] of this.#waiting) {
        if (waiting.subject !== violation.subject) continue;
        this.#waiting.delete(token);
        waiting.reject(violation);
      }
    }
  }

  #answer(waiting: Waiting, msg: Msg): void {
    if (msg.data.length === 0) {
      // A status without a body: 503 when nothing listens on the subject.
      const code = msg.headers?.code ?? 0;
      waiting.reject(new PublishUnansweredError(code === 503 ? "no responders" : `status ${code}`));
      return;
    }
    let reply: {
      stream?: string;
      seq?: number;
      duplicate?: boolean;
      error?: ConstructorParameters<typeof JetStreamApiError>[0];
    };
    try {
      reply = JSON.parse(decoder.decode(msg.data)) as typeof reply;
    } catch (error) {
      waiting.reject(new Error("invalid ack response", { cause: error }));
      return;
    }
    if (reply.error !== undefined) {
      waiting.reject(new JetStreamApiError(reply.error));
    } else if (typeof reply.stream !== "string" || reply.stream === "" || typeof reply.seq !== "number") {
      waiting.reject(new Error("invalid ack response"));
    } else {
      waiting.resolve({ stream: reply.stream, seq: reply.seq, duplicate: reply.duplicate === true });
    }
  }

  /** Publishes `data` for JetStream to store and resolves with its ack. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs, timeoutMs: number | undefined): Promise<PubAck> {
    // As nats-core's request refused them (js.publish's path): a publish sent now would be stored, but its ack
    // would come to a reply subscription that is draining or gone — reported failed although stored.
    if (this.#nc.isClosed()) return Promise.reject(new ClosedConnectionError());
    if (this.#nc.isDraining()) return Promise.reject(new DrainingConnectionError());
    if (this.#replies === undefined) this.#start();
    const replies = this.#replies as TokenReplies;
    const token = ++this.#next;
    const wait = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : NATS_REQUEST_TIMEOUT_MS;
    return new Promise<PubAck>((resolve, reject) => {
      this.#waiting.set(token, { resolve, reject, deadline: performance.now() + wait, subject });
      try {
        this.#nc.publish(subject, data, { reply: replies.replyTo(token), headers });
      } catch (error) {
        this.#waiting.delete(token);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  #sweep(): void {
    const now = performance.now();
    for (const [token, waiting] of this.#waiting) {
      if (waiting.deadline > now) continue; // deadlines differ per publish: not in order
      this.#waiting.delete(token);
      waiting.reject(new PublishTimeoutError("timeout"));
    }
  }

  #failAll(error: Error): void {
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#replies = undefined;
  }
}

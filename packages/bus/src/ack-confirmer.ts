import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { subscribeTokenReplies, type TokenReplies } from "./inbox.ts";

const ACK = new TextEncoder().encode("+ACK");

/**
 * Confirmed acks ("double ack") for many messages over one subscription. JsMsg.ackAck() does the same
 * per message with a request, a timer and a stack trace each, which costs more than the rest of the
 * consume path together; here an ack costs one publish and a map entry, and one timer sweeps them all.
 */
export class AckConfirmer {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #onUnconfirmed: (seq: number, reason: string) => void;
  readonly #pending = new Map<number, { seq: number; sentAt: number }>();
  #replies: TokenReplies | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #next = 0;
  #idle: (() => void) | undefined;

  constructor(nc: NatsConnection, timeoutMs: number, onUnconfirmed: (seq: number, reason: string) => void) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
    this.#onUnconfirmed = onUnconfirmed;
  }

  get pending(): number {
    return this.#pending.size;
  }

  #start(): void {
    this.#replies = subscribeTokenReplies(
      this.#nc,
      (token, msg) => {
        const entry = this.#pending.get(token);
        if (entry === undefined) return;
        this.#pending.delete(token);
        // A JetStream error reply (e.g. the message was already acked by someone else) carries a status header.
        if (msg.headers?.hasError) this.#onUnconfirmed(entry.seq, msg.headers.description || "error reply");
        this.#settled();
      },
      // Unconfirmed acks are reported by the sweep at their deadline.
      () => undefined,
    );
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(250, Math.min(this.#timeoutMs, 5_000)));
    this.#sweeper.unref();
  }

  /** Sends the ack; falls back to JsMsg.ack() if this client version hides the reply subject. */
  ack(msg: JsMsg): void {
    const reply = (msg as unknown as { reply?: unknown }).reply;
    if (typeof reply !== "string" || reply === "") {
      msg.ack();
      return;
    }
    if (this.#replies === undefined) this.#start();
    const token = ++this.#next;
    // On the monotonic clock, as the publish acks' deadlines: a wall-clock step must not time out every ack.
    this.#pending.set(token, { seq: msg.seq, sentAt: performance.now() });
    this.#nc.publish(reply, ACK, { reply: (this.#replies as TokenReplies).replyTo(token) });
  }

  #sweep(): void {
    const limit = performance.now() - this.#timeoutMs;
    for (const [token, entry] of this.#pending) {
      if (entry.sentAt > limit) break; // insertion order = send order
      this.#pending.delete(token);
      this.#onUnconfirmed(entry.seq, "no confirmation in time");
    }
    this.#settled();
  }

  #settled(): void {
    if (this.#pending.size === 0 && this.#idle !== undefined) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle();
    }
  }

  /** Resolves once every sent ack is confirmed or timed out, then unsubscribes. */
  async close(): Promise<void> {
    if (this.#pending.size > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#replies?.sub.unsubscribe();
    this.#replies = undefined;
  }
}

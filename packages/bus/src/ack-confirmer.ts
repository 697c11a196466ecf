import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { connectionInbox } from "./inbox.ts";

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
  #inbox = "";
  #sub: Subscription | undefined;
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
    this.#inbox = connectionInbox(this.#nc);
    this.#sub = this.#nc.subscribe(`${this.#inbox}.*`, {
      callback: (error, msg) => {
        if (error) return;
        const token = Number(msg.subject.slice(this.#inbox.length + 1));
        const entry = this.#pending.get(token);
        if (entry === undefined) return;
        this.#pending.delete(token);
        // A JetStream error reply (e.g. the message was already acked by someone else) carries a status header.
        if (msg.headers?.hasError) this.#onUnconfirmed(entry.seq, msg.headers.description || "error reply");
        this.#settled();
      },
    });
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
    if (this.#sub === undefined) this.#start();
    const token = ++this.#next;
    this.#pending.set(token, { seq: msg.seq, sentAt: Date.now() });
    this.#nc.publish(reply, ACK, { reply: `${this.#inbox}.${token}` });
  }

  #sweep(): void {
    const limit = Date.now() - this.#timeoutMs;
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
    this.#sub?.unsubscribe();
    this.#sub = undefined;
  }
}

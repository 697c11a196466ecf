import { extractTraceContext, type Logger, recordError, SpanKind, scrubText, tracer } from "@carehub/observability";
import type { CarehubError } from "@carehub/schemas";
import { MESSAGE_KINDS } from "@carehub/schemas";
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { AckConfirmer } from "./ack-confirmer.ts";
import { DEFAULT_BACKOFF_MS, retryDelayMs } from "./backoff.ts";
import { type PayloadAtRest, readStoredPayload } from "./claim-check.ts";
import { ConsumerMetrics, readConsumerBacklog } from "./consumer-metrics.ts";
import {
  BusDecodeError,
  BusMaxDeliveriesError,
  BusPayloadReferenceInvalidError,
  BusPayloadReferenceMissingError,
  toCarehubError,
} from "./errors.ts";
import { HEADER, isControlHeader, receivedHeaders } from "./headers.ts";
import { KeyedOrder, type Place } from "./keyed-order.ts";
import { DEFAULT_ACK_WAIT_MS, type DurableConsumerSpec, effectiveMaxDeliver } from "./provision.ts";
import type { PublishOptions, PublishResult } from "./publisher.ts";

/** One delivery of a stored message to a handler. */
export interface InboundMessage<T = Uint8Array> {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly body: T;
  readonly headers: Readonly<Record<string, string>>;
  readonly stream: string;
  readonly seq: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  /** When the stream stored this message (epoch ms, the server's clock). */
  readonly storedAtMs: number;
  readonly redelivered: boolean;
  readonly msgId: string | undefined;
  /** Tells JetStream the handler is still busy: restarts the ack-wait timer (call it during long work). */
  working(): void;
}

export interface ConsumeSpec<T = Uint8Array> extends DurableConsumerSpec {
  stream: string;
  /** Names the DLQ subject (`<ns>.dlq.<stage>`) and the metrics label. */
  stage: string;
  /** Turns the bytes into `body`; a throw dead-letters the message (it can never decode). */
  decode?: (data: Uint8Array, headers: Readonly<Record<string, string>>) => T;
  /**
   * With `laneOf`: the message's place in its lane, taken when the message arrived. The handler runs the part that
   * must keep its lane's order as `place.run(task)` (the part before it runs at once); the place is passed, at the
   * latest, when the handler settles.
   */
  handler: (message: InboundMessage<T>, place?: Place) => Promise<void>;
  /**
   * One lane per key (intake: the INGRESS subject, its sender): each message takes its place in its lane as it
   * arrives, in the order the consumer receives them (the stream's), before its payload is fetched or opened, so a
   * claim-checked message is not overtaken by a later one of its lane that needs no fetch (docs/decisions/0134). A
   * message whose payload cannot be fetched or decoded, or that is dead-lettered unhandled, passes its place at once
   * (it is retried or dead-lettered after the ones behind it, as a failed task in a KeyedOrder is). A place waiting
   * for the one before it tells the server the message is in hand (KeyedOrder's notices, from this consumer's ack
   * wait). Default: no lanes, the handler is given no place.
   */
  laneOf?: (subject: string, headers: Readonly<Record<string, string>>) => string;
  /** Handlers running at once, default 1. */
  concurrency?: number;
  /** Messages pulled per request, default 100. */
  batch?: number;
  /**
   * Called after the dead letter is stored, before the original is terminated (e.g. to emit an event).
   * If it throws, the message is nak'ed and the hook runs again (the DLQ entry is deduplicated). When
   * `decode` was what failed, `body` is the raw bytes.
   */
  onDeadLetter?: (message: InboundMessage<T>, error: CarehubError) => Promise<void>;
  /** Wait for the server to confirm each ack (default true). The confirmation does not hold up the next message. */
  confirmAcks?: boolean;
  /**
   * How often the consumer's info is read for the backlog gauges (ack-pending, redelivered, oldest
   * unacknowledged), default 10 s; a scrape of `/metrics` also reads it, at most once a second.
   */
  backlogIntervalMs?: number;
}

export interface RunningConsumer {
  /** Stops pulling; in-flight handlers finish and ack; buffered, unstarted messages are handed back at once. */
  stop(): Promise<void>;
  /** Messages handled to a final outcome (acked or dead-lettered) by this consumer. */
  readonly processed: number;
}

/** What the consumer needs from the bus (kept narrow so it can be built in tests). */
export interface ConsumerDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  logger: Logger | undefined;
  dlqSubject(stage: string): string;
  publish(subject: string, data: Uint8Array, options: PublishOptions): Promise<PublishResult>;
  /** Fetches claim-checked and opens sealed payloads (docs/operations.md); default: payloads as stored. */
  atRest?: PayloadAtRest;
}

const KINDS: ReadonlySet<string> = new Set(MESSAGE_KINDS);
const HAND_BACK_DELAY_MS = 1_000;
/**
 * How long each pull request lives on the server (the client re-pulls when it expires, and re-pulls at once when
 * two idle heartbeats — half of this each — go missing). On a cluster the pull waits at the consumer's leader:
 * when that node dies, the pull dies with it and nothing tells the client. With nats.js' default of 30 s a
 * consumer then sat idle up to 30 s after a leader election; 5 s bounds the pause to about that, for one
 * small request per consumer every 5 s while idle (issue 16, test/nats-cluster-failover.e2e.test.ts).
 */
export const PULL_EXPIRES_MS = 5_000;

/**
 * How few messages the server may still owe the consumer's pull requests before it asks for more (it then asks for
 * `batch` minus what is still owed). nats.js re-pulls at 75 % owed: a pull request for every quarter of the batch
 * received — one per 25 messages at the default batch of 100, one per 4 at the dispatcher's 16; each is a publish,
 * a JSON request the server parses and a waiting request it keeps. At a quarter owed each request asks for three
 * quarters of the batch: three times fewer requests, and still a quarter of the batch in transit when the next one
 * leaves, so delivery does not pause for its round trip (docs/decisions/0115).
 */
export function pullThreshold(batch: number): number | undefined {
  // Below 4 a quarter rounds to nothing: nats.js's own threshold then.
  return batch < 4 ? undefined : Math.floor(batch / 4);
}

class Delivery<T> implements InboundMessage<T> {
  readonly msg: JsMsg;
  readonly body: T;
  /** The payload as the handler reads it: opened when it was stored sealed. */
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;

  constructor(msg: JsMsg, data: Uint8Array, body: T, headers: Readonly<Record<string, string>>) {
    this.msg = msg;
    this.data = data;
    this.body = body;
    this.headers = headers;
  }
  get subject(): string {
    return this.msg.subject;
  }
  get stream(): string {
    return this.msg.info.stream;
  }
  get seq(): number {
    return this.msg.seq;
  }
  get deliveryCount(): number {
    return this.msg.info.deliveryCount;
  }
  get storedAtMs(): number {
    return Number(this.msg.timestampNanos / 1_000_000n);
  }
  get redelivered(): boolean {
    return this.msg.redelivered;
  }
  get msgId(): string | undefined {
    return this.headers[HEADER.msgId] || undefined;
  }
  working(): void {
    this.msg.working();
  }
}

/**
 * A retryable error may say exactly when to try again (`retryInMs`, e.g. a circuit breaker's cool-down):
 * that wins over the backoff schedule (docs/contracts.md, request from the dispatcher).
 */
function requestedDelayMs(error: CarehubError): number | undefined {
  const value = (error as { retryInMs?: unknown }).retryInMs;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
}

export class BusConsumer<T> implements RunningConsumer {
  readonly #spec: ConsumeSpec<T>;
  readonly #deps: ConsumerDeps;
  readonly #maxDeliver: number;
  readonly #backoff: readonly number[];
  readonly #concurrency: number;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #confirmer: AckConfirmer | undefined;
  readonly #metrics: ConsumerMetrics;
  readonly #spanName: string;
  /** The lanes (`spec.laneOf`): the one owner of the order the messages of a lane take their turns in. */
  readonly #lanes: { order: KeyedOrder; of: NonNullable<ConsumeSpec<T>["laneOf"]> } | undefined;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #processed = 0;

  constructor(spec: ConsumeSpec<T>, deps: ConsumerDeps) {
    this.#spec = spec;
    this.#deps = deps;
    this.#maxDeliver = effectiveMaxDeliver(spec.maxDeliver);
    this.#backoff = spec.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.#concurrency = Math.max(1, spec.concurrency ?? 1);
    this.#confirmer =
      (spec.confirmAcks ?? true)
        ? new AckConfirmer(deps.nc, Math.min(spec.ackWaitMs ?? DEFAULT_ACK_WAIT_MS, 5_000), (seq, reason) =>
            deps.logger?.warn({ stage: spec.stage, seq, reason }, "ack not confirmed; the message may be redelivered"),
          )
        : undefined;
    // A manager without the account check: one more request per consumer start would buy nothing.
    let jsm: Promise<JetStreamManager> | undefined;
    const manager = (): Promise<JetStreamManager> => {
      jsm ??= deps.js.jetstreamManager(false);
      return jsm;
    };
    this.#metrics = new ConsumerMetrics(spec.stage, spec.stream, spec.durable, {
      read: async () => readConsumerBacklog(await manager(), spec.stream, spec.durable),
      logger: deps.logger,
      ...(spec.backlogIntervalMs === undefined ? {} : { intervalMs: spec.backlogIntervalMs }),
    });
    this.#spanName = `${spec.stage} process`;
    this.#lanes =
      spec.laneOf === undefined
        ? undefined
        : {
            order: new KeyedOrder({ ackWaitMs: spec.ackWaitMs, logger: deps.logger, stage: spec.stage }),
            of: spec.laneOf,
          };
  }

  get processed(): number {
    return this.#processed;
  }

  async start(consumer: Consumer): Promise<void> {
    const batch = this.#spec.batch ?? 100;
    const threshold = pullThreshold(batch);
    this.#messages = await consumer.consume({
      max_messages: batch,
      expires: PULL_EXPIRES_MS,
      ...(threshold === undefined ? {} : { threshold_messages: threshold }),
    });
    this.#loop = this.#run(this.#messages);
  }

  async #run(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const msg of messages) {
        if (this.#concurrency > 1) {
          while (this.#inFlight.size >= this.#concurrency) await Promise.race(this.#inFlight);
        }
        if (this.#stopping) {
          this.#handBack(msg);
          continue;
        }
        if (this.#concurrency === 1) {
          await this.#handleSafely(msg);
          continue;
        }
        const running: Promise<void> = this.#handleSafely(msg).finally(() => this.#inFlight.delete(running));
        this.#inFlight.add(running);
      }
    } catch (error) {
      // The iterator ends with an error when the consumer or stream is deleted; in-flight work still settles.
      this.#deps.logger?.error(
        { err: error, stream: this.#spec.stream, consumer: this.#spec.durable },
        "consumer stopped",
      );
    }
    await Promise.allSettled(this.#inFlight);
  }

  /**
   * A message pulled but not started when stop() came: nak'ed so another worker gets it without waiting
   * for ack_wait. The short delay matters: an immediate nak is redelivered at once, possibly into this
   * consumer's own pull request that the server has not yet noticed is gone (seen on nats-server 2.9),
   * where it would sit until ack_wait after all.
   */
  #handBack(msg: JsMsg): void {
    try {
      msg.nak(HAND_BACK_DELAY_MS);
    } catch {
      // connection already closed: the server redelivers after ack_wait
    }
  }

  // #handle settles every outcome itself; what can still throw is an ack/nak on a connection that just
  // closed, and then the server redelivers after ack_wait, so logging is the right answer here.
  async #handleSafely(msg: JsMsg): Promise<void> {
    try {
      await this.#handle(msg);
    } catch (error) {
      this.#deps.logger?.error({ stage: this.#spec.stage, seq: msg.seq, err: error }, "message left for redelivery");
    }
  }

  #count(kind: string, outcome: string): void {
    this.#metrics.count(kind, outcome);
  }

  async #handle(msg: JsMsg): Promise<void> {
    const started = performance.now();
    // The headers are read into one record, once: the kind, the trace context, the payload's key and claim check
    // and the handler's view all come from it.
    const headers = receivedHeaders(msg);
    const kindHeader = headers[HEADER.kind] ?? "";
    const kind = KINDS.has(kindHeader) ? kindHeader : "unknown";
    const info = msg.info;
    this.#metrics.pending(info.pending);

    const traceparent = headers[HEADER.traceparent];
    const parent = traceparent
      ? extractTraceContext({ traceparent, tracestate: headers[HEADER.tracestate] ?? "" }, ROOT_CONTEXT)
      : ROOT_CONTEXT;
    const span = tracer.startSpan(this.#spanName, { kind: SpanKind.CONSUMER }, parent);
    // Attributes only when someone records them: no allocation per message otherwise.
    if (span.isRecording()) {
      span.setAttributes({
        "messaging.system": "nats",
        "messaging.destination.name": msg.subject,
        "messaging.consumer.group.name": this.#spec.durable,
        "messaging.nats.stream_sequence": msg.seq,
        "messaging.nats.delivery_count": info.deliveryCount,
      });
    }
    // With nothing recorded and nothing to continue, the root context serves (saves a context per message).
    const ctx = traceparent === undefined && !span.isRecording() ? ROOT_CONTEXT : trace.setSpan(parent, span);
    // Taken here, before the first await: #handle starts in the order messages arrive, so the places are taken in
    // that order whatever fetching the payload below takes (docs/decisions/0134).
    const lanes = this.#lanes;
    const place =
      lanes === undefined ? undefined : lanes.order.take(lanes.of(msg.subject, headers), () => msg.working());
    let delivery: Delivery<T> | undefined;
    try {
      if (info.deliveryCount > this.#maxDeliver) {
        place?.passTurn();
        // Only reachable when earlier deliveries never answered (the process died or hung each time).
        await this.#deadLetter(msg, headers, undefined, new BusMaxDeliveriesError(info.deliveryCount - 1), kind);
        return;
      }
      try {
        delivery = await this.#decode(msg, headers);
        await context.with(ctx, this.#spec.handler, undefined, delivery, place);
      } catch (thrown) {
        // A payload not fetched or not decoded, or a failed handler: the messages behind it in its lane go on now,
        // not after its nak or dead letter (it comes back after them, as a failed task in a KeyedOrder does).
        place?.passTurn();
        const error = toCarehubError(thrown);
        recordError(span, error);
        if (error.retryable && info.deliveryCount < this.#maxDeliver) {
          const planned = requestedDelayMs(error);
          msg.nak(planned ?? retryDelayMs(info.deliveryCount, this.#backoff));
          this.#count(kind, "retried");
          const fields = { stage: this.#spec.stage, seq: msg.seq, attempt: info.deliveryCount, code: error.code };
          // A wait the handler planned (backoff, an open circuit, an earlier message first) is routine: debug.
          // A failure it did not plan for is worth a warning.
          if (planned !== undefined) {
            this.#deps.logger?.debug({ ...fields, retryInMs: planned }, `waiting: ${scrubText(error.message)}`);
          } else {
            this.#deps.logger?.warn(fields, `retrying: ${scrubText(error.message)}`);
          }
          return;
        }
        await context.with(ctx, () => this.#deadLetter(msg, headers, delivery, error, kind));
        return;
      }
      this.#ack(msg);
      this.#processed++;
      this.#count(kind, "acked");
    } finally {
      // A handler that never ran its task still gives its place up (passed already otherwise: nothing happens).
      place?.passTurn();
      span.end();
      this.#metrics.latency((performance.now() - started) / 1000);
    }
  }

  async #decode(msg: JsMsg, headers: Readonly<Record<string, string>>): Promise<Delivery<T>> {
    // A payload that cannot be opened or fetched throws: dead-lettered as stored (sealed, claim check kept), or
    // retried while the claim-check bucket is unavailable.
    const data =
      this.#deps.atRest === undefined
        ? msg.data
        : await readStoredPayload(this.#deps.atRest, msg.data, (name) => headers[name] || undefined, msg.info.stream);
    const decode = this.#spec.decode;
    if (decode === undefined) return new Delivery(msg, data, data as T, headers);
    try {
      return new Delivery(msg, data, decode(data, headers), headers);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BusDecodeError(`could not decode message: ${reason}`, { cause: error });
    }
  }

  /**
   * Sent as soon as the handler is done, in the piece of work that finished it: the connection holds its writes to
   * the end of the event-loop turn (socket-writes.ts, decision 0116), so the ack leaves in the one write that carries
   * whatever else the turn published (the next handlers' publishes, other acks). Queued in a `setImmediate` of its
   * own instead (before decision 0103), an ack could miss its turn's flush and pay a write of its own.
   * The handler has awaited everything it stored, so a crash before the write only means a redelivery.
   */
  #ack(msg: JsMsg): void {
    try {
      if (this.#confirmer === undefined) msg.ack();
      else this.#confirmer.ack(msg);
    } catch (error) {
      this.#deps.logger?.warn(
        { stage: this.#spec.stage, seq: msg.seq, err: error },
        "ack not sent; the message will be redelivered",
      );
    }
  }

  /**
   * Stores the message on `<ns>.dlq.<stage>` with the reason, then terminates the original. The dead letter holds
   * the bytes as stored (a sealed payload stays sealed, its Carehub-Payload-Key header copied). When the
   * dead letter cannot be stored, the original is nak'ed instead: it comes back, nothing is lost.
   */
  async #deadLetter(
    msg: JsMsg,
    stored: Readonly<Record<string, string>>,
    delivery: Delivery<T> | undefined,
    error: CarehubError,
    kind: string,
  ): Promise<void> {
    const info = msg.info;
    const headers: Record<string, string> = {};
    let originalMsgId = "";
    for (const key in stored) {
      const value = stored[key] as string;
      if (key.toLowerCase() === HEADER.msgId.toLowerCase()) originalMsgId = value;
      if (isControlHeader(key) || key === HEADER.traceparent || key === HEADER.tracestate) continue;
      headers[key] = value;
    }
    // A copy by reference stores its bytes in the dead letter: the DLQ keeps it longer than INGRESS keeps what it
    // points at (docs/decisions/0109). Only a reference that cannot be followed stays one, with the reason.
    const data = await this.#deadLetterPayload(msg, stored, delivery, headers);
    if (data === undefined) {
      // The bytes could not be read just now: a dead letter with a bare reference would lose them once INGRESS lets
      // its copy go, so the message comes back instead (the reason logged is a code, never the payload).
      msg.nak(retryDelayMs(info.deliveryCount, this.#backoff));
      this.#count(kind, "retried");
      return;
    }
    headers[HEADER.errorCode] = error.code;
    headers[HEADER.errorMessage] = scrubText(error.message).slice(0, 1024);
    headers[HEADER.stage] = this.#spec.stage;
    headers[HEADER.attempts] = String(info.deliveryCount);
    headers[HEADER.originalSubject] = msg.subject;
    headers[HEADER.originalStream] = info.stream;
    headers[HEADER.originalSeq] = String(msg.seq);
    if (originalMsgId !== "") headers[HEADER.originalMsgId] = originalMsgId;
    try {
      await this.#deps.publish(this.#deps.dlqSubject(this.#spec.stage), data, {
        msgId: `${info.stream}:${msg.seq}`,
        headers,
        contentType: headers[HEADER.contentType] ?? "application/octet-stream",
      });
    } catch (publishError) {
      msg.nak(retryDelayMs(info.deliveryCount, this.#backoff));
      this.#count(kind, "retried");
      this.#deps.logger?.error(
        { stage: this.#spec.stage, seq: msg.seq, code: error.code, err: publishError },
        "dead letter not stored; message handed back",
      );
      return;
    }
    if (this.#spec.onDeadLetter !== undefined) {
      try {
        await this.#spec.onDeadLetter(delivery ?? new Delivery(msg, msg.data, msg.data as T, stored), error);
      } catch (hookError) {
        // The dead letter is stored (dedup id <stream>:<seq> keeps a repeat single); let the hook run again.
        if (info.deliveryCount <= this.#maxDeliver) {
          msg.nak(retryDelayMs(info.deliveryCount, this.#backoff));
          this.#count(kind, "retried");
          this.#deps.logger?.error(
            { stage: this.#spec.stage, seq: msg.seq, err: hookError },
            "onDeadLetter failed; retrying",
          );
          return;
        }
        this.#deps.logger?.error(
          { stage: this.#spec.stage, seq: msg.seq, err: hookError },
          "onDeadLetter failed for the last time",
        );
      }
    }
    msg.term();
    this.#processed++;
    this.#count(kind, "dead-lettered");
    this.#deps.logger?.warn(
      { stage: this.#spec.stage, seq: msg.seq, attempts: info.deliveryCount, code: error.code },
      `dead-lettered: ${scrubText(error.message)}`,
    );
  }

  /**
   * What the dead letter stores: the bytes as stored, or for a copy by reference the payload it names (already read
   * for the handler, else read now), its reference header then dropped so the DLQ's publish seals it afresh. A
   * reference stays bare only when its target is really gone or wrong (MISSING, INVALID). Any other failure to read
   * it (NATS trouble, a key not held, a claim check unreadable): undefined, the message is handed back for
   * redelivery — unless this is the last delivery the server will make (its max_deliver is the bus's + 1), when a
   * bare reference in the DLQ, followable while INGRESS holds the copy, beats a message JetStream stops delivering.
   */
  async #deadLetterPayload(
    msg: JsMsg,
    stored: Readonly<Record<string, string>>,
    delivery: Delivery<T> | undefined,
    headers: Record<string, string>,
  ): Promise<Uint8Array | undefined> {
    const atRest = this.#deps.atRest;
    const header = (name: string) => stored[name] || undefined;
    if (stored[HEADER.payloadRef] === undefined || atRest?.references?.follows(msg.info.stream, header) !== true) {
      return msg.data;
    }
    let payload = delivery?.data;
    if (payload === undefined) {
      try {
        payload = await readStoredPayload(atRest, msg.data, header, msg.info.stream);
      } catch (error) {
        if (error instanceof BusPayloadReferenceMissingError || error instanceof BusPayloadReferenceInvalidError) {
          return msg.data;
        }
        const last = msg.info.deliveryCount > this.#maxDeliver;
        this.#deps.logger?.warn(
          { stage: this.#spec.stage, seq: msg.seq, code: toCarehubError(error).code, last },
          last
            ? "referenced payload not read on the last delivery; dead-lettered with its reference"
            : "referenced payload not read for the dead letter; message handed back",
        );
        return last ? msg.data : undefined;
      }
    }
    delete headers[HEADER.payloadRef];
    return payload;
  }

  async stop(): Promise<void> {
    if (this.#stopping) {
      await this.#loop;
      return;
    }
    this.#stopping = true;
    await this.#messages?.close();
    await this.#loop;
    await this.#confirmer?.close();
    await this.#metrics.close();
  }
}

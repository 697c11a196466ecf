import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type AcknowledgementBuilder,
  buildMedcomAcknowledgement,
  type CarehubClient,
  type Clock,
  consumeInbox,
  createOutbox,
  createWebhookHandler,
  type InboxSubscription,
  isRetryable,
  isWebhookSignatureError,
  type Outbox,
  type ReceivedMessage,
  type ReceiverOptions,
  type TimerHandle,
  verifyWebhookSignature,
  type WebhookAnswer,
} from "@carehub/client";
import { isCarehubError } from "@carehub/schemas";
import type { PlannedMessage } from "./planner.ts";
import { createRandom } from "./random.ts";
import { reactionsTo } from "./reactions.ts";
import type { Misbehaviour, Scenario } from "./scenario.ts";
import { bump, type SimulationStats } from "./stats.ts";
import type { SimEndpoint, SimWorld } from "./world.ts";

function refusal(status: number): object {
  if (status === 503) return { code: "CAREHUB_ERR_SIMULATOR_DOWN", message: "endpoint down" };
  if (status === 400) return { code: "CAREHUB_ERR_SIMULATOR_REFUSED", message: "endpoint refuses this message" };
  return {};
}

export interface AgentOptions {
  endpoint: SimEndpoint;
  world: SimWorld;
  scenario: Scenario;
  seed: number | string;
  clock: Clock;
  client: CarehubClient;
  stats: SimulationStats;
  /** The sender's resend policy (MedCom: 30 min, 2 resends). */
  ackTimeoutMs: number;
  maxResends: number;
  /** When the simulation started (epoch ms), for "down for a while" windows. */
  startedAt: () => number;
  /** The endpoint's webhook signing secret (`whsec_…`): every webhook delivery must be signed with it. */
  signingSecret?: string | undefined;
  onError?: (endpointId: string, error: unknown) => void;
}

export interface Agent {
  readonly endpoint: SimEndpoint;
  readonly outbox: Outbox;
  /** Sends one planned message as this endpoint. Never rejects: failures are counted. */
  send(message: PlannedMessage): Promise<void>;
  /**
   * The node:http handler for this endpoint's webhook: refuses a delivery without a valid signature (401), then
   * misbehaves as configured.
   */
  webhook(request: IncomingMessage, response: ServerResponse): void;
  /** Consumes this endpoint's NATS inbox instead of a webhook. */
  consumeInbox(options: { natsUrl: string | string[]; namespace: string; user?: string; pass?: string }): Promise<void>;
  /** Sends nothing more (no planned message, status update or resend) but still answers deliveries. */
  quiesce(): Promise<void>;
  stop(): Promise<void>;
}

/** One simulated endpoint: sends its planned messages, receives and acknowledges, answers with status updates. */
export function createAgent(options: AgentOptions): Agent {
  const { endpoint, world, scenario, clock, client, stats } = options;
  const root = createRandom(options.seed);
  const faults = scenario.misbehaviour.filter((m) => m.endpoint === endpoint.id);
  const slow = faults.find((m): m is Extract<Misbehaviour, { type: "slow" }> => m.type === "slow");
  const down = faults.find((m): m is Extract<Misbehaviour, { type: "down" }> => m.type === "down");
  const neverAck = faults.some((m) => m.type === "never-ack");
  const refuse = faults.find((m): m is Extract<Misbehaviour, { type: "refuse" }> => m.type === "refuse");
  const negative = faults.find((m): m is Extract<Misbehaviour, { type: "negative-ack" }> => m.type === "negative-ack");
  const timers = new Set<TimerHandle>();
  const pending = new Set<Promise<void>>();
  let inbox: InboxSubscription | undefined;
  let stopped = false;

  const failed = (error: unknown) => {
    bump(stats.sendErrors, isCarehubError(error) ? error.code : "CAREHUB_ERR_SIMULATOR_SEND");
    options.onError?.(endpoint.id, error);
  };

  const outbox = createOutbox({
    client,
    clock,
    ackTimeoutMs: options.ackTimeoutMs,
    maxResends: options.maxResends,
    onResent: () => void stats.resends++,
    onResendError: (_status, error) => {
      stats.resends++;
      failed(error);
    },
    onGiveUp: () => void stats.gaveUp++,
  });

  const track = (work: Promise<void>) => {
    const tracked = work.finally(() => pending.delete(tracked));
    pending.add(tracked);
    return tracked;
  };

  function later(afterMs: number, work: () => Promise<void>) {
    const handle = clock.setTimer(() => {
      timers.delete(handle);
      if (!stopped) void track(work());
    }, afterMs);
    timers.add(handle);
  }

  function react(received: ReceivedMessage) {
    const random = root.fork(`react:${endpoint.id}:${received.message.messageId}`);
    for (const reaction of reactionsTo(received.message, endpoint, world, scenario.behaviour, random)) {
      later(reaction.afterMs, async () => {
        const built = reaction.build(new Date(clock.now()));
        try {
          await outbox.send(built.body, { contentType: built.contentType });
          if (built.kind === "status-update") stats.statusUpdatesSent++;
          bump(stats.sentByKind, built.kind);
        } catch (error) {
          failed(error);
        }
      });
    }
  }

  const countingAckBuilder: AcknowledgementBuilder = (input) => {
    stats.acksSent[input.code]++;
    return buildMedcomAcknowledgement(input);
  };

  const receiverOptions: ReceiverOptions = {
    client,
    identity: { sor: endpoint.sor, gln: endpoint.gln, name: endpoint.name },
    buildAcknowledgement: countingAckBuilder,
    onMessage(received) {
      stats.received++;
      bump(stats.receivedByKind, received.message.kind);
      if (
        negative !== undefined &&
        root.fork(`negative:${endpoint.id}:${received.message.messageId}`).chance(negative.probability)
      ) {
        return {
          code: "fatal-error",
          issues: [
            { severity: "error", code: "MSG_Receiver_Identifier_UNKNOWN", text: "the patient is not known here" },
          ],
        };
      }
      react(received);
      return "ok";
    },
    onAcknowledgement(ack) {
      stats.acksReceived[ack.code]++;
      outbox.acknowledged(ack.respondsTo, ack.code);
    },
    onDuplicate: () => void stats.duplicatesDropped++,
    onInvalid: () => void stats.invalidReceived++,
  };
  const handler = createWebhookHandler({
    ...receiverOptions,
    onError: (error) => options.onError?.(endpoint.id, error),
  });

  function isDown(): boolean {
    if (down === undefined) return false;
    const sinceStart = clock.now() - options.startedAt() - down.afterMs;
    return sinceStart >= 0 && sinceStart % down.everyMs < down.forMs;
  }

  /**
   * A real receiver checks the signature before anything else, so this one does too, ahead of every
   * misbehaviour: a forged delivery is never counted, refused on purpose or left unacknowledged as if it were
   * the hub's.
   */
  function forged(body: Uint8Array, headers: IncomingMessage["headers"]): WebhookAnswer | undefined {
    if (options.signingSecret === undefined) return undefined;
    try {
      verifyWebhookSignature({ body, headers, secrets: [options.signingSecret] });
      return undefined;
    } catch (error) {
      if (!isWebhookSignatureError(error)) throw error;
      stats.forgedRefused++;
      return { status: 401, body: { code: error.code, message: error.message } };
    }
  }

  async function take(request: IncomingMessage): Promise<WebhookAnswer> {
    const body = await readBody(request);
    const refused = forged(body, request.headers);
    if (refused !== undefined) return refused;
    const hubId = String(request.headers["carehub-hub-id"] ?? "");
    if (refuse !== undefined && root.fork(`refuse:${endpoint.id}:${hubId}`).chance(refuse.probability)) {
      // Decided per hub id, so every attempt at the same message is refused alike.
      stats.refusedOnPurpose++;
      return { status: 400, body: refusal(400) };
    }
    if (isDown()) {
      stats.refusedWhileDown++;
      return { status: 503, body: refusal(503) };
    }
    if (neverAck) {
      stats.received++;
      stats.unacknowledgedOnPurpose++;
      return { status: 200, body: {} };
    }
    if (slow !== undefined) {
      await new Promise<void>((resolve) => {
        const handle = clock.setTimer(() => {
          timers.delete(handle);
          resolve();
        }, slow.delayMs);
        timers.add(handle);
      });
    }
    return handler.answer(body, request.headers);
  }

  return {
    endpoint,
    outbox,
    async send(message) {
      if (stopped) return;
      try {
        const result =
          message.fault === undefined
            ? await outbox.send(message.body, { contentType: message.contentType })
            : await client.send(message.body, { contentType: message.contentType });
        stats.sent++;
        bump(stats.sentByKind, message.kind);
        if (message.fault === "invalid") stats.invalidSent++;
        if (message.fault === "duplicate") stats.duplicatesSent++;
        if (result.duplicate) stats.hubDuplicates++;
      } catch (error) {
        if (message.fault === "invalid" && !isRetryable(error)) {
          // The gateway refused the broken bytes outright: that is what they are for.
          stats.sent++;
          stats.invalidSent++;
          return;
        }
        failed(error);
      }
    },
    webhook(request, response) {
      take(request).then(
        (answer) => reply(response, answer),
        (error: unknown) => {
          options.onError?.(endpoint.id, error);
          reply(response, { status: 500, body: { code: "CAREHUB_ERR_CLIENT_RECEIVER_FAILED", message: "" } });
        },
      );
    },
    async consumeInbox(natsOptions) {
      inbox = await consumeInbox({
        ...receiverOptions,
        ...natsOptions,
        endpointId: endpoint.id,
        onError: (error) => options.onError?.(endpoint.id, error),
      });
    },
    async quiesce() {
      stopped = true;
      for (const handle of timers) clock.clearTimer(handle);
      timers.clear();
      outbox.close();
      await Promise.allSettled([...pending]);
    },
    async stop() {
      await this.quiesce();
      await inbox?.stop();
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

function reply(response: ServerResponse, answer: WebhookAnswer): void {
  if (response.headersSent) return;
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
